using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Telemedicina.Grains.Abstractions;

/// <summary>
/// What one doctor's calendar knows in memory about bookings of the last minute (key: doctor id): the slot starts
/// being booked right now (holds) and those booked moments ago. It answers a lost race — a second patient asking for
/// a slot another one is booking or has just booked — without the database, on any silo.
/// </summary>
/// <remarks>
/// The database stays the only judge of a booking (its exclusion constraints): the calendar never says yes, it
/// only says "taken" for what it knows to be taken, and "don't know" for everything else, which is then decided as
/// before. What it knows is short-lived and dropped whenever an appointment stops being live (cancelled, moved,
/// completed, no-show: <see cref="Forget"/>), so it can be wrong only for the instant between that commit and its
/// <see cref="Forget"/>, when a request would have lost the same way a moment earlier. A silo that dies in that
/// instant leaves the slot refused until the entry expires (a minute at most). An activation that goes (idle collection, its silo's death) takes its knowledge
/// with it: requests are then decided by the database until it has learned again. Nothing here is persisted and no
/// method awaits anything: every call is one short turn.
/// </remarks>
[Alias("Telemedicina.IDoctorCalendarGrain")]
public interface IDoctorCalendarGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Refused (<see cref="HoldAnswer.Held"/> false) when a booking of the slot starting at <paramref name="startsAt"/>
    /// is known (in progress or done), with the starts of the following day the calendar knows to be taken, so that
    /// the refusal's alternatives leave them out; otherwise holds that start for <paramref name="holdId"/> until <see cref="Settle"/>
    /// (or its expiry).
    /// </summary>
    [Alias("TryHold")]
    Task<HoldAnswer> TryHold(DateTimeOffset startsAt, Guid holdId);

    /// <summary>Ends a hold: kept as a recent booking when <paramref name="booked"/>, dropped otherwise.</summary>
    [OneWay]
    [Alias("Settle")]
    Task Settle(Guid holdId, bool booked);

    /// <summary>
    /// The appointment that starts at <paramref name="startsAt"/> is no longer live (cancelled, moved, completed,
    /// no-show): its slot is free again. Awaited (not one-way), so that the change is answered only once the slot can
    /// be booked again, on any silo.
    /// </summary>
    [Alias("Forget")]
    Task Forget(DateTimeOffset startsAt);

    /// <summary>
    /// The doctor's rules or days off changed (committed): reads of the schedule made before are no longer used
    /// (<see cref="HoldAnswer.Revision"/>). Awaited, like <see cref="Forget"/>.
    /// </summary>
    [Alias("ScheduleChanged")]
    Task ScheduleChanged();
}

/// <summary>
/// A calendar's answer to <see cref="IDoctorCalendarGrain.TryHold"/>. <see cref="Revision"/> names what the calendar
/// has been told so far: it changes with every <see cref="IDoctorCalendarGrain.Forget"/> and
/// <see cref="IDoctorCalendarGrain.ScheduleChanged"/>, and with every activation. A read of the doctor's schedule
/// begun after an answer carrying a revision shows every change announced before it; while the calendar still answers
/// that revision, nothing has been freed or changed since, except by what it is not told of (a slot taken by a move).
/// </summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.HoldAnswer")]
public sealed record HoldAnswer(
    [property: Id(0)] bool Held,
    [property: Id(1)] ImmutableArray<DateTimeOffset> Taken,
    [property: Id(2)] Guid Revision);
