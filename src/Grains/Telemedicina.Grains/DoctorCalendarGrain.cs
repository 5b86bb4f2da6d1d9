using System.Collections.Immutable;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <inheritdoc cref="IDoctorCalendarGrain"/>
internal sealed class DoctorCalendarGrain(TimeProvider clock) : Grain, IDoctorCalendarGrain
{
    private readonly RecentBookings _recent = new();

    // New with every activation, so that no read tagged by an earlier one is trusted by a later one.
    private Guid _revision = Guid.NewGuid();

    public Task<HoldAnswer> TryHold(DateTimeOffset startsAt, Guid holdId)
    {
        var now = clock.GetUtcNow();
        return Task.FromResult(_recent.TryHold(startsAt, holdId, now)
            ? new HoldAnswer(Held: true, [], _revision)
            : new HoldAnswer(Held: false, _recent.TakenBetween(startsAt, startsAt + RecentBookings.TakenReach, now), _revision));
    }

    public Task Settle(Guid holdId, bool booked)
    {
        _recent.Settle(holdId, booked, clock.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task Forget(DateTimeOffset startsAt)
    {
        _recent.Forget(startsAt);
        _revision = Guid.NewGuid();
        return Task.CompletedTask;
    }

    public Task ScheduleChanged()
    {
        _revision = Guid.NewGuid();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The memory of <see cref="DoctorCalendarGrain"/>: slot starts held by a booking in progress or booked moments ago,
/// each until an expiry. Expired entries are treated as absent and swept once there are many.
/// </summary>
internal sealed class RecentBookings
{
    /// <summary>
    /// How long a hold lasts when its booking never settles it (its silo died mid-request). A booking takes
    /// milliseconds; under a load that makes it take longer, an expired hold only sends the next request to the database.
    /// </summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromSeconds(30);

    /// <summary>How long a booked start is remembered: long enough for the patients who saw the slot free to try it.</summary>
    public static readonly TimeSpan KeepBookedFor = TimeSpan.FromMinutes(1);

    /// <summary>How far after a refused start the known-taken starts go: the refusal's alternatives are looked for that day first.</summary>
    public static readonly TimeSpan TakenReach = TimeSpan.FromDays(1);

    private const int FirstSweepAt = 512;

    private readonly Dictionary<DateTimeOffset, Entry> _byStart = [];
    private readonly Dictionary<Guid, DateTimeOffset> _holds = [];

    // A sweep reads every entry: it runs when their number has doubled since the last one, so its cost per hold stays
    // constant when a busy doctor's minute of bookings keeps thousands of entries alive.
    private int _sweepAt = FirstSweepAt;

    /// <summary>Entries kept, expired ones included until a sweep.</summary>
    public int Count => _byStart.Count;

    public bool TryHold(DateTimeOffset startsAt, Guid holdId, DateTimeOffset now)
    {
        if (_byStart.TryGetValue(startsAt, out var known))
        {
            if (known.Until > now)
            {
                return false;
            }

            Remove(startsAt, known);
        }

        if (_byStart.Count >= _sweepAt)
        {
            Sweep(now);
            _sweepAt = Math.Max(FirstSweepAt, 2 * _byStart.Count);
        }

        _byStart[startsAt] = new Entry(holdId, now + HoldFor);
        _holds[holdId] = startsAt;
        return true;
    }

    /// <summary>The starts from <paramref name="from"/> (included) to <paramref name="until"/> held or booked now.</summary>
    public ImmutableArray<DateTimeOffset> TakenBetween(DateTimeOffset from, DateTimeOffset until, DateTimeOffset now)
    {
        var taken = ImmutableArray.CreateBuilder<DateTimeOffset>();
        foreach (var (startsAt, entry) in _byStart)
        {
            if (entry.Until > now && startsAt >= from && startsAt < until)
            {
                taken.Add(startsAt);
            }
        }

        return taken.ToImmutable();
    }

    public void Settle(Guid holdId, bool booked, DateTimeOffset now)
    {
        // A hold that expired may have been replaced by another one for the same start: that one is not this one's to settle.
        if (!_holds.Remove(holdId, out var startsAt) || !_byStart.TryGetValue(startsAt, out var held) || held.HoldId != holdId)
        {
            return;
        }

        if (booked)
        {
            _byStart[startsAt] = new Entry(null, now + KeepBookedFor);
        }
        else
        {
            _byStart.Remove(startsAt);
        }
    }

    public void Forget(DateTimeOffset startsAt)
    {
        if (_byStart.TryGetValue(startsAt, out var known))
        {
            Remove(startsAt, known);
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (startsAt, entry) in _byStart.Where(e => e.Value.Until <= now).ToList())
        {
            Remove(startsAt, entry);
        }
    }

    private void Remove(DateTimeOffset startsAt, Entry entry)
    {
        _byStart.Remove(startsAt);
        if (entry.HoldId is { } holdId)
        {
            _holds.Remove(holdId);
        }
    }

    private readonly record struct Entry(Guid? HoldId, DateTimeOffset Until);
}
