using Telemedicina.Grains.Abstractions;

namespace Telemedicina.UnitTests.Grains;

public sealed class KeptPayloadTests
{
    [Theory]
    [InlineData("")]
    [InlineData("candidate:1 1 udp 2122260223 192.168.0.2 54321 typ host")]
    [InlineData("olá, médica — atenção 😀")]
    [InlineData("a\ud800b")]
    public void ReadsBackExactlyWhatWasKept(string payload)
    {
        var kept = KeptPayload.Keep(payload);

        Assert.Equal(payload, kept.Read());
        kept.Release();
    }

    [Fact]
    public void TextIsKeptAsUtf8_AndTextUtf8CannotCarryAsTheString()
    {
        Assert.Equal(5, KeptPayload.Keep("v=0\r\n").Size);
        Assert.Equal(5, KeptPayload.Keep("ção").Size);
        Assert.Equal(3 * sizeof(char), KeptPayload.Keep("a\ud800b").Size);
    }

    [Fact]
    public void PooledArrays_AreOnThePinnedHeap_AndReusedOnceReturned()
    {
        var pool = new PinnedArrayPool(maxFreePerSize: 2);

        var array = pool.Rent(100);

        Assert.Equal(128, array.Length);
        // The pinned object heap is logically part of generation 2: the GC never promotes or moves these.
        Assert.Equal(GC.MaxGeneration, GC.GetGeneration(array));
        pool.Return(array);
        Assert.Same(array, pool.Rent(65));
        Assert.Equal(64, pool.Rent(0).Length);
        Assert.Equal(64, pool.Rent(64).Length);
    }

    [Fact]
    public void ThePoolKeepsAtMostItsFreeArraysPerSize_AndNeverPoolsLargeOrForeignArrays()
    {
        var pool = new PinnedArrayPool(maxFreePerSize: 2);
        var rented = Enumerable.Range(0, 3).Select(_ => pool.Rent(256)).ToArray();
        foreach (var array in rented)
        {
            pool.Return(array);
        }

        var again = Enumerable.Range(0, 3).Select(_ => pool.Rent(256)).ToArray();
        Assert.Equal(2, again.Count(a => rented.Contains(a)));

        var large = pool.Rent(PinnedArrayPool.MaxArrayLength + 1);
        Assert.Equal(PinnedArrayPool.MaxArrayLength + 1, large.Length);
        pool.Return(large);
        pool.Return(new byte[100]);
        Assert.DoesNotContain(pool.Rent(100), new[] { large });
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(-1));
    }
}
