using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Scheduling.Infrastructure;

/// <summary>
/// The doctors' calendars (<see cref="IDoctorCalendarGrain"/>) as bookings use them: a lost race is answered from memory,
/// and nothing else depends on them. A calendar that does not answer within <see cref="Patience"/> or fails is
/// treated as knowing nothing, and the request goes to the database as it would without it. Without a cluster
/// (<paramref name="grains"/> null: the module composed alone, as the integration tests do) there are no calendars.
/// </summary>
internal sealed partial class BookingCalendar(IGrainFactory? grains, ILogger<BookingCalendar> logger)
{
    private readonly GuidGrainReferences<IDoctorCalendarGrain>? _calendars = grains is null ? null : new(grains);

    /// <summary>How long a booking or a cancellation waits for a calendar (a call takes well under a millisecond).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    /// <summary>
    /// <see cref="CalendarHold.Taken"/> when a booking of that slot is known to be in progress or done; otherwise a
    /// hold to <see cref="CalendarHold.Settle"/> once the booking is decided (also when the calendar failed to answer).
    /// </summary>
    public async Task<CalendarHold> TryHoldAsync(Guid doctorId, DateTimeOffset startsAt)
    {
        if (_calendars is null)
        {
            return new CalendarHold(null, Guid.Empty, Taken: false, [], Revision: null);
        }

        var calendar = _calendars.Get(doctorId);
        var holdId = Guid.NewGuid();
        try
        {
            var answer = await calendar.TryHold(startsAt, holdId).WaitAsync(Patience);
            // An empty revision comes from a calendar of an earlier version (a rolling deployment), which never changes it.
            Guid? revision = answer.Revision == Guid.Empty ? null : answer.Revision;
            return answer.Held
                ? new CalendarHold(calendar, holdId, Taken: false, [], revision)
                : new CalendarHold(null, Guid.Empty, Taken: true, answer.Taken, revision);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Settled all the same: a hold that was taken late (the calendar answered after the wait) is released
            // with the booking instead of lasting until its expiry.
            LogUnavailable(logger, e, doctorId);
            return new CalendarHold(calendar, holdId, Taken: false, [], Revision: null);
        }
    }

    /// <summary>
    /// Tells the doctor's calendar that the appointment starting at <paramref name="startsAt"/> no longer holds its slot
    /// (cancelled, moved, completed, no-show), once that is committed.
    /// </summary>
    public async Task ForgetAsync(Guid doctorId, DateTimeOffset startsAt)
    {
        if (_calendars is null)
        {
            return;
        }

        try
        {
            await _calendars.Get(doctorId).Forget(startsAt).WaitAsync(Patience);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The calendar keeps a booked start for a minute at most: the slot may be refused that long.
            LogUnavailable(logger, e, doctorId);
        }
    }

    /// <summary>
    /// Tells the doctor's calendar that the doctor's rules or days off changed, once that is committed: this silo's
    /// and the others' earlier reads of the schedule are no longer used (<see cref="RecentSchedules"/>).
    /// </summary>
    public async Task ScheduleChangedAsync(Guid doctorId)
    {
        if (_calendars is null)
        {
            return;
        }

        try
        {
            await _calendars.Get(doctorId).ScheduleChanged().WaitAsync(Patience);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Reads are used for SchedulingSettings.RecentReadsFor at most: bookings may be decided on the old rules that long.
            LogUnavailable(logger, e, doctorId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The calendar of doctor {DoctorId} did not answer; the database decides alone")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, Guid doctorId);
}

/// <summary>
/// What a doctor's calendar answered to a booking: taken (with the starts of that day it knows to be taken), or a
/// hold to settle; and the calendar's revision (<see cref="HoldAnswer.Revision"/>), null when no calendar answered.
/// </summary>
internal readonly record struct CalendarHold(
    IDoctorCalendarGrain? Calendar, Guid HoldId, bool Taken, ImmutableArray<DateTimeOffset> KnownTaken, Guid? Revision)
{
    /// <summary>Ends the hold (one-way): remembered as booked, or released.</summary>
    public void Settle(bool booked)
    {
        if (Calendar is not null)
        {
            _ = Calendar.Settle(HoldId, booked);
        }
    }
}
