namespace Telemedicina.Scheduling;

/// <summary>Configuration section <c>Scheduling</c>.</summary>
public sealed class SchedulingSettings
{
    public const string Section = "Scheduling";

    /// <summary>Earliest a slot can be booked ahead of its start (a doctor may set more).</summary>
    public TimeSpan MinimumNotice { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long before the start the room opens.</summary>
    public TimeSpan JoinWindowBefore { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long after the scheduled end a late consultation can still start (a doctor running late, a patient with a
    /// bad connection). When it has passed without both parties in the call, the appointment is a no-show.
    /// </summary>
    public TimeSpan JoinWindowAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Patients cancel at least this long before the start.</summary>
    public TimeSpan CancelBefore { get; set; } = TimeSpan.FromHours(2);

    /// <summary>An in-progress consultation is completed automatically this long after it started.</summary>
    public TimeSpan MaxConsultationDuration { get; set; } = TimeSpan.FromMinutes(90);

    /// <summary>How often the cluster-wide jobs run.</summary>
    public TimeSpan JobInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a silo decides bookings of a doctor on its last read of that doctor's schedule, while the doctor's
    /// calendar announces no change (a cancellation, a move, new rules or days off). The database still refuses a slot
    /// booked meanwhile. Zero reads the schedule for every booking.
    /// </summary>
    public TimeSpan RecentReadsFor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Default booking window when the doctor sets none.</summary>
    public int BookingWindowDays { get; set; } = 30;
}
