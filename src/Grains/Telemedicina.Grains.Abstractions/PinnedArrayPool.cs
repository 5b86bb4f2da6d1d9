using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;

namespace Telemedicina.Grains.Abstractions;

/// <summary>
/// An <see cref="ArrayPool{T}"/> of byte arrays allocated on the pinned object heap, for data a silo keeps for seconds
/// to minutes (<see cref="KeptPayload"/>). The pinned heap is collected only with generation 2 and never compacted, so
/// an array from here costs no GC copying however long it is kept, where an ordinary array kept past a gen0 collection
/// is copied at least once (<see cref="ArrayPool{T}.Create()"/> allocates ordinary arrays). Sizes are powers of two
/// from 64 bytes to <see cref="MaxArrayLength"/>; a larger request gets an ordinary array that is not pooled.
/// Thread-safe.
/// </summary>
internal sealed class PinnedArrayPool(int maxFreePerSize) : ArrayPool<byte>
{
    private const int MinShift = 6;
    private const int MaxShift = 18;

    /// <summary>The largest array pooled: 256 KiB.</summary>
    public const int MaxArrayLength = 1 << MaxShift;

    private readonly ConcurrentQueue<byte[]>[] _free = Enumerable.Range(0, MaxShift - MinShift + 1).Select(_ => new ConcurrentQueue<byte[]>()).ToArray();
    private readonly int[] _freeCounts = new int[MaxShift - MinShift + 1];

    public override byte[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength > MaxArrayLength)
        {
            return new byte[minimumLength];
        }

        var size = Size(minimumLength);
        if (_free[size].TryDequeue(out var array))
        {
            Interlocked.Decrement(ref _freeCounts[size]);
            return array;
        }

        return GC.AllocateUninitializedArray<byte>(1 << (size + MinShift), pinned: true);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length > MaxArrayLength || array.Length < 1 << MinShift || !BitOperations.IsPow2(array.Length))
        {
            // Not one of ours (an unpooled large array): left to the GC.
            return;
        }

        var size = Size(array.Length);
        if (Interlocked.Increment(ref _freeCounts[size]) > maxFreePerSize)
        {
            // Enough of this size waiting already: this one goes back to the GC (with the next full collection).
            Interlocked.Decrement(ref _freeCounts[size]);
            return;
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        _free[size].Enqueue(array);
    }

    private static int Size(int length) => Math.Max(MinShift, BitOperations.Log2((uint)Math.Max(1, length) - 1) + 1) - MinShift;
}
