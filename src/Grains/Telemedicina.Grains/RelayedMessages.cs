namespace Telemedicina.Grains;

/// <summary>
/// The numbers (sender stream, seq) of the messages a room relayed lately, so that a message the hub sends
/// again after an ambiguous failure (relayed, but the answer was lost) is relayed once. Per stream it keeps
/// the highest number and a bitmap of the <see cref="Window"/> numbers up to it (128 bytes), for the
/// <see cref="MaxStreams"/> streams used last. Below the window, or for a forgotten stream, it cannot tell,
/// and relays: a duplicate is better than a lost signal. Not thread-safe (a grain's turn).
/// </summary>
internal sealed class RelayedMessages
{
    internal const int Window = 1024;
    internal const int MaxStreams = 8;
    private const int Words = Window / 64;

    private readonly Dictionary<Guid, StreamWindow> _streams = [];
    private long _uses;

    /// <summary>Records the message; false when it was relayed before (a duplicate to drop).</summary>
    public bool TryAdd(Guid stream, long seq)
    {
        if (!_streams.TryGetValue(stream, out var window))
        {
            Add(stream, new StreamWindow(seq, new ulong[Words])).Set(seq);
            return true;
        }

        window.LastUse = ++_uses;
        if (seq > window.High)
        {
            for (var s = Math.Max(window.High + 1, seq - Window + 1); s < seq; s++)
            {
                window.Clear(s);
            }

            window.High = seq;
            window.Set(seq);
            return true;
        }

        if (seq <= window.High - Window)
        {
            return true;
        }

        if (window.IsSet(seq))
        {
            return false;
        }

        window.Set(seq);
        return true;
    }

    /// <summary>What the next activation needs to go on dropping duplicates (saved with a graceful hand-over).</summary>
    public List<RelayedWindow> Export() =>
        _streams.OrderBy(s => s.Value.LastUse).Select(s => new RelayedWindow(s.Key, s.Value.High, [.. s.Value.Bits])).ToList();

    public void Import(IEnumerable<RelayedWindow> windows)
    {
        foreach (var saved in windows)
        {
            if (saved.Bits.Length != Words)
            {
                continue; // saved with another window size: start afresh for that stream
            }

            Add(saved.Stream, new StreamWindow(saved.High, [.. saved.Bits]));
        }
    }

    // Makes room by forgetting the stream used longest ago.
    private StreamWindow Add(Guid stream, StreamWindow window)
    {
        if (_streams.Count == MaxStreams)
        {
            _streams.Remove(_streams.MinBy(s => s.Value.LastUse).Key);
        }

        window.LastUse = ++_uses;
        _streams[stream] = window;
        return window;
    }

    private sealed class StreamWindow(long high, ulong[] bits)
    {
        public long High { get; set; } = high;

        public ulong[] Bits { get; } = bits;

        public long LastUse { get; set; }

        public void Set(long seq) => Bits[Word(seq)] |= Mask(seq);

        public void Clear(long seq) => Bits[Word(seq)] &= ~Mask(seq);

        public bool IsSet(long seq) => (Bits[Word(seq)] & Mask(seq)) != 0;

        private static int Word(long seq) => (int)((ulong)seq % Window / 64);

        private static ulong Mask(long seq) => 1UL << (int)((ulong)seq % 64);
    }
}

/// <summary>A stream's relayed numbers, as kept in the room's state across a hand-over.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.RelayedWindow")]
internal sealed record RelayedWindow([property: Id(0)] Guid Stream, [property: Id(1)] long High, [property: Id(2)] ulong[] Bits);
