using System.Text;

namespace Telemedicina.Grains.Abstractions;

/// <summary>
/// A signal payload kept after the call that carried it: in a room's replay buffer, or in the sent log of the hub
/// connection that sent it. Kept as UTF-8 in an array of the pinned object heap, pooled per process, not as the
/// string it arrived in.
/// </summary>
/// <remarks>
/// Every signal a silo relays is kept for a while, so as a string each one outlived the youngest generation and the
/// GC copied it at least once: at 400 rooms and 4,000 signals/s a silo's gen0 collections promoted ~70 MB each and
/// paused it for 20–130 ms, which was most of the relay's p99 (docs/benchmarks.md). A pinned array is never copied by
/// the GC and is reused once its payload is released, so keeping a payload costs one copy into it; SDP and ICE text
/// is ASCII, so it also takes half the memory of the string. Text that UTF-8 cannot carry (a lone surrogate, which
/// JSON can) is kept as the string, so that it is read back exactly as it was sent.
/// </remarks>
public readonly struct KeptPayload
{
    // At most this many free arrays of each size wait in the pool, e.g. after the calls of a busy hour have ended. The
    // pool takes arrays up to 256 KiB: a 64 KiB-character payload (the hub's limit) is at most 192 KiB of UTF-8.
    private const int FreeArraysPerSize = 1024;
    private static readonly PinnedArrayPool Pool = new(FreeArraysPerSize);

    // Throws on text that UTF-8 cannot carry, instead of replacing it.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[]? _bytes;
    private readonly string? _text;

    private KeptPayload(byte[] bytes, int size)
    {
        _bytes = bytes;
        Size = size;
    }

    private KeptPayload(string text)
    {
        _text = text;
        Size = text.Length * sizeof(char);
    }

    /// <summary>The bytes it takes (UTF-8 bytes, or the string's).</summary>
    public int Size { get; }

    /// <summary>Copies <paramref name="payload"/> into a pooled array.</summary>
    public static KeptPayload Keep(string payload)
    {
        int size;
        try
        {
            size = Utf8.GetByteCount(payload);
        }
        catch (EncoderFallbackException)
        {
            return new KeptPayload(payload);
        }

        var bytes = Pool.Rent(size);
        Utf8.GetBytes(payload.AsSpan(), bytes.AsSpan());
        return new KeptPayload(bytes, size);
    }

    /// <summary>The payload as it was kept. Not after <see cref="Release"/>.</summary>
    public string Read() => _text ?? Utf8.GetString(_bytes!, 0, Size);

    /// <summary>Gives the array back to the pool; the owner reads this payload no more.</summary>
    public void Release()
    {
        if (_bytes is not null)
        {
            Pool.Return(_bytes);
        }
    }
}
