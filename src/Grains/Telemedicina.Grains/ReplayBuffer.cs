using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <summary>
/// The last signals a room addressed to one party, kept to be replayed when that party comes back: at most
/// <see cref="MaxCount"/> signals and <see cref="MaxBytes"/> of payload (<see cref="MinBytes"/> while the silo is over
/// its <see cref="ReplayBudget"/>), the oldest dropped first. Not thread-safe (a grain's turn).
/// </summary>
/// <remarks>
/// Every signal a silo's rooms relay is buffered here for a while, so the payloads are kept compactly and out of the
/// GC's way (<see cref="KeptPayload"/>); one is turned back into a string only when it is replayed or handed over.
/// </remarks>
internal sealed class ReplayBuffer(ReplayBudget budget)
{
    /// <summary>Signals kept per party.</summary>
    internal const int MaxCount = 512;

    /// <summary>UTF-8 payload bytes kept per party (far above a call's signaling: an SDP offer is a few KiB).</summary>
    internal const int MaxBytes = 1024 * 1024;

    /// <summary>
    /// UTF-8 payload bytes kept per party while the silo is over its budget: a reconnect's worth (a silo crash is
    /// resumed within seconds), and the newest signal is always kept, whatever its size.
    /// </summary>
    internal const int MinBytes = 64 * 1024;

    private readonly Queue<Entry> _entries = new();
    private long _bytes;

    public int Count => _entries.Count;

    /// <summary>
    /// Keeps <paramref name="signal"/>, dropping the oldest signals over the limits and telling
    /// <paramref name="onDropped"/> each one's number. A state argument rather than a closure: this runs for every
    /// relayed signal, and once a party's buffer is full it drops one on every call.
    /// </summary>
    public void Add<TState>(SignalEvent signal, TState state, Action<TState, long> onDropped)
    {
        var entry = new Entry(signal.Seq, signal.FromUserId, SignalKinds.Canonical(signal.Kind), KeptPayload.Keep(signal.Payload));
        _entries.Enqueue(entry);
        _bytes += entry.Payload.Size;
        budget.Add(entry.Payload.Size);

        var maxBytes = budget.Exceeded ? MinBytes : MaxBytes;
        while (_entries.Count > MaxCount || (_bytes > maxBytes && _entries.Count > 1))
        {
            var oldest = _entries.Dequeue();
            _bytes -= oldest.Payload.Size;
            budget.Add(-oldest.Payload.Size);
            oldest.Payload.Release();
            onDropped(state, oldest.Seq);
        }
    }

    public bool Contains(long seq) => _entries.Any(e => e.Seq == seq);

    /// <summary>The kept signals numbered above <paramref name="seq"/>, oldest first.</summary>
    /// <remarks>
    /// Read out at once: the caller may add to this buffer while it walks the result, and an addition can drop a signal
    /// and hand its array to another payload.
    /// </remarks>
    public IReadOnlyList<SignalEvent> After(Guid roomId, long seq) => [.. _entries.Where(e => e.Seq > seq).Select(e => e.ToSignal(roomId))];

    /// <summary>The kept signals, newest first, read one by one: nothing may be added to the buffer meanwhile.</summary>
    public IEnumerable<SignalEvent> NewestFirst(Guid roomId)
    {
        var entries = _entries.ToArray();
        for (var i = entries.Length - 1; i >= 0; i--)
        {
            yield return entries[i].ToSignal(roomId);
        }
    }

    /// <summary>Gives the payload arrays back to the pool; the buffer is empty afterwards.</summary>
    public void Release()
    {
        while (_entries.TryDequeue(out var entry))
        {
            entry.Payload.Release();
        }

        budget.Add(-_bytes);
        _bytes = 0;
    }

    private readonly record struct Entry(long Seq, Guid From, string Kind, KeptPayload Payload)
    {
        public SignalEvent ToSignal(Guid roomId) => new(roomId, From, Kind, Payload.Read(), Seq);
    }
}
