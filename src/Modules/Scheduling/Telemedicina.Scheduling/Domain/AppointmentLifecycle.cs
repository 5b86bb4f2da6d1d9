using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Scheduling.Domain;

/// <summary>
/// The one place that says which status changes are legal:
/// scheduled → inProgress → completed; scheduled → cancelled; scheduled → noShow.
/// Everything else is refused and changes nothing.
/// </summary>
internal static class AppointmentLifecycle
{
    private static readonly HashSet<(AppointmentStatus From, AppointmentStatus To)> Allowed =
    [
        (AppointmentStatus.Scheduled, AppointmentStatus.InProgress),
        (AppointmentStatus.InProgress, AppointmentStatus.Completed),
        (AppointmentStatus.Scheduled, AppointmentStatus.Cancelled),
        (AppointmentStatus.Scheduled, AppointmentStatus.NoShow),
    ];

    public static bool CanMove(AppointmentStatus from, AppointmentStatus to) => Allowed.Contains((from, to));

    /// <summary>Statuses that occupy the doctor's and the patient's time.</summary>
    public static bool IsLive(AppointmentStatus status) => status is AppointmentStatus.Scheduled or AppointmentStatus.InProgress;
}
