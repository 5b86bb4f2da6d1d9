using System.Collections.Concurrent;

namespace Telemedicina.Scheduling.Infrastructure;

/// <summary>
/// This silo's reads of a doctor's schedule around a slot (<see cref="AvailabilityStore.AroundAsync"/>) of the last
/// <see cref="FreshFor"/>, by doctor and slot start. A refusal that the doctor's calendar decided (another booking of
/// the slot is in progress or was just made) takes its alternatives from one of them instead of reading the schedule
/// again: under contention every request for a slot reads the same schedule, and the losers are most of them.
/// </summary>
/// <remarks>
/// Alternatives are suggestions: taking one is a booking like any other, decided in full. A read of up to
/// <see cref="FreshFor"/> ago may still offer a slot booked since on another silo; the calendar's own knowledge of
/// the last minute's bookings (<see cref="CalendarHold.KnownTaken"/>) is left out of them as well. Nothing else reads
/// these: the checks of a booking always read the schedule from the database.
/// </remarks>
internal sealed class RecentSchedules(TimeProvider clock)
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(2);

    private const int Limit = 1024;

    private readonly ConcurrentDictionary<(Guid DoctorId, DateTimeOffset StartsAt), Read> _reads = new();

    /// <summary>The read of the doctor's schedule around <paramref name="startsAt"/> begun less than <see cref="FreshFor"/> ago, if any.</summary>
    public ScheduleAround? Find(Guid doctorId, DateTimeOffset startsAt) =>
        _reads.TryGetValue((doctorId, startsAt), out var read) && clock.GetUtcNow() - read.Began < FreshFor ? read.Schedule : null;

    /// <summary>Keeps a read, begun at <paramref name="began"/>.</summary>
    public void Keep(Guid doctorId, DateTimeOffset startsAt, ScheduleAround schedule, DateTimeOffset began)
    {
        if (_reads.Count >= Limit)
        {
            var now = clock.GetUtcNow();
            foreach (var (key, read) in _reads)
            {
                if (now - read.Began >= FreshFor)
                {
                    _reads.TryRemove(key, out _);
                }
            }

            // More distinct slots read within the last two seconds than that: nothing worth keeping is lost.
            if (_reads.Count >= Limit)
            {
                _reads.Clear();
            }
        }

        _reads[(doctorId, startsAt)] = new Read(schedule, began);
    }

    private sealed record Read(ScheduleAround Schedule, DateTimeOffset Began);
}
