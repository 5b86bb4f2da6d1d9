using Microsoft.Extensions.Options;
using Telemedicina.Identity.Contracts;
using Telemedicina.Scheduling.Contracts;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.Scheduling.Endpoints.Appointments;

/// <summary>Turns appointment rows into API views: names of both parties, the room's join window and the patient's deadline for changes.</summary>
internal sealed class AppointmentViews(IUserDirectory directory, IAppointmentBook book, IOptions<SchedulingSettings> settings)
{
    public async Task<AppointmentView[]> ToViewsAsync(IReadOnlyList<AppointmentRow> rows, CancellationToken ct)
    {
        var names = await directory.GetNamesAsync(rows.SelectMany(r => new[] { r.DoctorId, r.PatientId }).Distinct().ToList(), ct);
        return rows.Select(r =>
        {
            var window = book.GetJoinWindow(new AppointmentInfo(r.Id, r.DoctorId, r.PatientId, r.StartsAt, r.EndsAt, r.StatusValue));
            return new AppointmentView(
                r.Id, r.DoctorId, names.GetValueOrDefault(r.DoctorId), r.PatientId, names.GetValueOrDefault(r.PatientId),
                r.StartsAt, r.EndsAt, r.StatusValue, r.Reason, r.DurationSeconds, window.OpensAt, window.ClosesAt,
                r.StartsAt - settings.Value.CancelBefore, r.CancelReason);
        }).ToArray();
    }
}
