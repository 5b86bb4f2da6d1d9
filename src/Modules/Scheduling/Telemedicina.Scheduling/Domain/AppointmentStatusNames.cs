using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Scheduling.Domain;

/// <summary>The wire and database names of appointment statuses.</summary>
internal static class AppointmentStatusNames
{
    public static string ToName(AppointmentStatus status) => status switch
    {
        AppointmentStatus.Scheduled => "scheduled",
        AppointmentStatus.InProgress => "inProgress",
        AppointmentStatus.Completed => "completed",
        AppointmentStatus.Cancelled => "cancelled",
        AppointmentStatus.NoShow => "noShow",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static AppointmentStatus Parse(string name) => name switch
    {
        "scheduled" => AppointmentStatus.Scheduled,
        "inProgress" => AppointmentStatus.InProgress,
        "completed" => AppointmentStatus.Completed,
        "cancelled" => AppointmentStatus.Cancelled,
        "noShow" => AppointmentStatus.NoShow,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
