namespace Telemedicina.Bench.Measurement;

/// <summary>
/// S5's account of one direction of one room (sender → receiver) by the generator's message numbers: which
/// numbers the server acknowledged and when they were first sent, which arrived, and when the first message
/// sent after the kill arrived. Thread-safe; times are <see cref="System.Diagnostics.Stopwatch"/> timestamps.
/// </summary>
internal sealed class DirectionLedger
{
    private readonly Lock _gate = new();
    private readonly List<(long Number, long FirstSentAt)> _acked = [];
    private readonly HashSet<long> _received = [];
    private long _killNumber = long.MaxValue;

    /// <summary>When the first message numbered above the sender's last number at the kill arrived; null until then.</summary>
    public long? FirstDeliveredAfterKill { get; private set; }

    /// <summary>Marks the kill: messages numbered above <paramref name="lastSentAtKill"/> are "sent after the kill".</summary>
    public void Kill(long lastSentAtKill)
    {
        lock (_gate)
        {
            _killNumber = lastSentAtKill;
        }
    }

    public void Acked(long number, long firstSentAt)
    {
        lock (_gate)
        {
            _acked.Add((number, firstSentAt));
        }
    }

    public void Received(long number, long at)
    {
        lock (_gate)
        {
            _received.Add(number);
            if (number > _killNumber && FirstDeliveredAfterKill is null)
            {
                FirstDeliveredAfterKill = at;
            }
        }
    }

    /// <summary>Acknowledged but never received: after the kill, and first sent at or after <paramref name="resumedAt"/>.</summary>
    public (long AfterKill, long AfterResume) Lost(long resumedAt)
    {
        lock (_gate)
        {
            long afterKill = 0, afterResume = 0;
            foreach (var (number, sentAt) in _acked)
            {
                if (number <= _killNumber || _received.Contains(number))
                {
                    continue;
                }

                afterKill++;
                if (sentAt >= resumedAt)
                {
                    afterResume++;
                }
            }

            return (afterKill, afterResume);
        }
    }

    /// <summary>The acknowledged numbers sent after the kill that never arrived, with their first send time.</summary>
    public IReadOnlyList<(long Number, long FirstSentAt)> LostAfterKill()
    {
        lock (_gate)
        {
            return _acked.Where(a => a.Number > _killNumber && !_received.Contains(a.Number)).ToList();
        }
    }

    /// <summary>Acknowledged numbers sent after the kill that have not arrived yet (the drain waits for 0).</summary>
    public int Missing()
    {
        lock (_gate)
        {
            return _acked.Count(a => a.Number > _killNumber && !_received.Contains(a.Number));
        }
    }

    /// <summary>
    /// When a room relays again in both directions: the later of the two first deliveries after the kill;
    /// null while either direction has delivered nothing sent after the kill.
    /// </summary>
    public static long? RelaysAgainAt(DirectionLedger ab, DirectionLedger ba) =>
        ab.FirstDeliveredAfterKill is { } x && ba.FirstDeliveredAfterKill is { } y ? Math.Max(x, y) : null;
}
