namespace Telemedicina.Grains.Abstractions;

/// <summary>
/// Puts items back in the order their sender numbered them (1, 2, 3, ... per sender stream),
/// because one-way calls between silos may overtake each other. An item is released as soon as
/// every earlier one of its stream has been; a gap that does not fill within
/// <see cref="GapTimeout"/> (a message lost with a dead silo, say) is skipped on the next
/// <see cref="Sweep"/>, so one loss never blocks a stream for good. Thread-safe.
/// </summary>
public sealed class StreamReorderer<T>(TimeProvider clock)
{
    public static readonly TimeSpan GapTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);

    private readonly Dictionary<Guid, StreamState> _streams = [];
    private readonly Lock _gate = new();

    /// <summary>True while some stream waits for a missing item (a sweep is then needed).</summary>
    public bool HasGaps
    {
        get
        {
            lock (_gate)
            {
                return _streams.Values.Any(s => s.GapSince is not null);
            }
        }
    }

    public int StreamCount
    {
        get
        {
            lock (_gate)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Accepts one item and emits, in order, every item that is now releasable.</summary>
    public void Accept(Guid stream, long seq, T item, Action<T> emit)
    {
        ArgumentNullException.ThrowIfNull(emit);
        var now = clock.GetTimestamp();
        lock (_gate)
        {
            if (!_streams.TryGetValue(stream, out var state))
            {
                state = new StreamState();
                _streams[stream] = state;
            }

            state.LastActivity = now;
            if (seq == state.Next && state.Pending.Count == 0)
            {
                // In order, nothing waiting: the usual case.
                emit(item);
                state.Next++;
                return;
            }

            if (seq < state.Next)
            {
                // Arrived after its gap was skipped: late is better than never.
                emit(item);
                return;
            }

            state.Pending[seq] = item;
            Drain(state, emit);
            state.GapSince = state.Pending.Count == 0 ? null : state.GapSince ?? now;
        }
    }

    /// <summary>Skips gaps older than <see cref="GapTimeout"/> and forgets idle streams.</summary>
    public void Sweep(Action<T> emit)
    {
        ArgumentNullException.ThrowIfNull(emit);
        var now = clock.GetTimestamp();
        lock (_gate)
        {
            List<Guid>? idle = null;
            foreach (var (id, state) in _streams)
            {
                if (state.GapSince is { } since && clock.GetElapsedTime(since, now) >= GapTimeout)
                {
                    state.Next = state.Pending.Keys.First();
                    Drain(state, emit);
                    state.GapSince = state.Pending.Count == 0 ? null : now;
                }

                if (state.Pending.Count == 0 && clock.GetElapsedTime(state.LastActivity, now) >= IdleTimeout)
                {
                    (idle ??= []).Add(id);
                }
            }

            foreach (var id in idle ?? [])
            {
                _streams.Remove(id);
            }
        }
    }

    /// <summary>Forgets a stream whose sender is known to be gone.</summary>
    public void Forget(Guid stream)
    {
        lock (_gate)
        {
            _streams.Remove(stream);
        }
    }

    private static void Drain(StreamState state, Action<T> emit)
    {
        while (state.Pending.Remove(state.Next, out var ready))
        {
            emit(ready);
            state.Next++;
        }
    }

    private sealed class StreamState
    {
        public long Next { get; set; } = 1;

        public SortedDictionary<long, T> Pending { get; } = [];

        public long? GapSince { get; set; }

        public long LastActivity { get; set; }
    }
}
