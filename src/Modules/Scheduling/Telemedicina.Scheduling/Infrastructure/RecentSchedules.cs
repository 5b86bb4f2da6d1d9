using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Telemedicina.Scheduling.Infrastructure;

/// <summary>
/// This silo's reads of doctors' schedules (<see cref="AvailabilityStore.AroundAsync"/>) of the last
/// <see cref="SchedulingSettings.RecentReadsFor"/>, each tagged with the revision of the doctor's calendar it began
/// after (<see cref="Grains.Abstractions.HoldAnswer.Revision"/>). A booking whose calendar still answers that revision
/// is decided on such a read instead of reading the schedule again, and so is a refusal's list of alternatives: under
/// a contended load every request for a doctor's slots reads the same schedule.
/// </summary>
/// <remarks>
/// Such a read shows every change announced before it began, and none has been announced since (the revision would
/// differ): no appointment of that doctor stopped being live, no rule or day off changed. What it may not show are
/// the bookings made since, which is why the database stays the judge of every booking: a slot booked meanwhile is
/// refused by its insert (or at once by the calendar when it is that very start), and an alternative booked meanwhile
/// is a suggestion refused the same way. Without a calendar's revision (no cluster, or it did not answer) nothing is
/// kept or used.
/// </remarks>
internal sealed class RecentSchedules(TimeProvider clock, IOptions<SchedulingSettings> settings)
{
    /// <summary>A read around an instant serves the starts of its 12-hour stretch (<see cref="ScheduleAround.Covers"/>).</summary>
    private static readonly long StretchTicks = TimeSpan.FromHours(12).Ticks;

    private const int Limit = 1024;

    private readonly ConcurrentDictionary<(Guid DoctorId, long Stretch), Read> _reads = new();

    private TimeSpan FreshFor => settings.Value.RecentReadsFor;

    /// <summary>
    /// A read of the doctor's schedule that covers <paramref name="startsAt"/>, begun less than
    /// <see cref="SchedulingSettings.RecentReadsFor"/> ago after the calendar answered <paramref name="revision"/>, if any.
    /// </summary>
    public ScheduleAround? Find(Guid doctorId, DateTimeOffset startsAt, Guid? revision) =>
        revision is { } current
        && _reads.TryGetValue((doctorId, Stretch(startsAt)), out var read)
        && read.Revision == current
        && clock.GetUtcNow() - read.Began < FreshFor
        && read.Schedule.Covers(startsAt)
            ? read.Schedule
            : null;

    /// <summary>
    /// Keeps a read around <paramref name="instant"/>, begun at <paramref name="began"/> after the calendar answered
    /// <paramref name="revision"/>, unless one begun later is kept for that stretch.
    /// </summary>
    public void Keep(Guid doctorId, DateTimeOffset instant, ScheduleAround schedule, DateTimeOffset began, Guid? revision)
    {
        if (revision is not { } tag || FreshFor <= TimeSpan.Zero)
        {
            return;
        }

        if (_reads.Count >= Limit)
        {
            var now = clock.GetUtcNow();
            foreach (var (key, old) in _reads)
            {
                if (now - old.Began >= FreshFor)
                {
                    _reads.TryRemove(key, out _);
                }
            }

            // More doctors' days read within the last seconds than that: nothing worth keeping is lost.
            if (_reads.Count >= Limit)
            {
                _reads.Clear();
            }
        }

        var read = new Read(schedule, began, tag);
        _reads.AddOrUpdate((doctorId, Stretch(instant)), read, (_, kept) => kept.Began > began ? kept : read);
    }

    private static long Stretch(DateTimeOffset instant) => instant.UtcTicks / StretchTicks;

    private sealed record Read(ScheduleAround Schedule, DateTimeOffset Began, Guid Revision);
}
