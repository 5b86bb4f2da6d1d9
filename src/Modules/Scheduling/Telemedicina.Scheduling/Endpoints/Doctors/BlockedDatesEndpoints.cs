using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Contracts;
using Telemedicina.Scheduling.Domain;
using Telemedicina.Scheduling.Endpoints.Appointments;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.Scheduling.Endpoints.Doctors;

internal sealed record BlockDateRequest(string? Date, string? Reason, bool? CancelAppointments);

internal sealed record BlockedDateView(string Date, string? Reason);

internal sealed record BlockedDateResult(string Date, string? Reason, Guid[] CancelledAppointments);

/// <summary>
/// Days off. Blocking a day that has appointments does not silently drop them: the doctor first
/// gets them listed (409), and confirms with <c>cancelAppointments: true</c>, which cancels them and
/// notifies each patient.
/// </summary>
internal static class BlockedDatesEndpoints
{
    public static void MapBlockedDates(this RouteGroupBuilder group)
    {
        group.MapGet("/doctors/me/blocked-dates", ListAsync).RequireAuthorization(Policies.Doctor);
        group.MapPost("/doctors/me/blocked-dates", BlockAsync).RequireAuthorization(Policies.Doctor)
            .Produces<BlockedDateResult>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/doctors/me/blocked-dates/{date}", UnblockAsync).RequireAuthorization(Policies.Doctor).Produces(StatusCodes.Status204NoContent).ProducesValidationProblem();
    }

    private static async Task<IResult> ListAsync(ClaimsPrincipal user, AvailabilityStore store, TimeProvider clock, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-1);
        var blocked = await store.ListBlockedAsync(user.GetId(), today, ct);
        return TypedResults.Ok(blocked.Select(b => new BlockedDateView(Format(b.Date), b.Reason)).ToArray());
    }

    private static async Task<IResult> BlockAsync(
        BlockDateRequest request, ClaimsPrincipal user, AvailabilityStore store, AppointmentStore appointments, Booking booking,
        IUserDirectory directory, AppointmentViews views, IAuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        var validation = new Validation()
            .Require(TryParse(request.Date, out var date), "date", "Data inválida (AAAA-MM-DD).")
            .MaxLength(request.Reason, "reason", 500, "Motivo");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var doctorId = user.GetId();
        var zoneId = (await store.FindAsync(doctorId, ct))?.TimeZone ?? (await directory.FindDoctorAsync(doctorId, ct))?.TimeZone ?? "America/Sao_Paulo";
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        // A day that is over in the doctor's zone has no slots left to block; accepting it only clutters the list.
        if (date < DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime))
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["date"] = ["Esta data já passou."] });
        }

        var dayStart = SlotCalculator.ToUtc(date.ToDateTime(TimeOnly.MinValue), zone) ?? SlotCalculator.ToUtc(date.ToDateTime(new TimeOnly(1, 0)), zone)!.Value;
        var dayEnd = SlotCalculator.ToUtc(date.AddDays(1).ToDateTime(TimeOnly.MinValue), zone) ?? SlotCalculator.ToUtc(date.AddDays(1).ToDateTime(new TimeOnly(1, 0)), zone)!.Value;
        var affected = (await appointments.ListAsync(asDoctor: true, doctorId, dayStart, dayEnd, ct))
            .Where(a => a.StartsAt >= dayStart && a.StartsAt < dayEnd && a.StatusValue == Contracts.AppointmentStatus.Scheduled)
            .ToList();

        if (affected.Count > 0 && request.CancelAppointments != true)
        {
            var listed = await views.ToViewsAsync(affected, ct);
            return Problems.Conflict(
                $"Há {affected.Count} consulta(s) neste dia. Para bloquear, confirme o cancelamento delas (os pacientes serão avisados).",
                new Dictionary<string, object?> { ["appointments"] = listed });
        }

        var cancelled = new List<Guid>();
        foreach (var appointment in affected)
        {
            var reason = string.IsNullOrWhiteSpace(request.Reason) ? "Dia bloqueado pelo médico" : request.Reason.Trim();
            if (await booking.CancelAsync(appointment.Id, doctorId, asAdmin: false, reason, ct) is BookingResult.Booked)
            {
                cancelled.Add(appointment.Id);
            }
        }

        await store.AddBlockedAsync(doctorId, date, request.Reason?.Trim(), ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Update, "BlockedDate", Format(date), doctorId, Roles.Doctor, doctorId,
            Details: new Dictionary<string, string> { ["cancelled"] = cancelled.Count.ToString(CultureInfo.InvariantCulture) }), ct);
        return TypedResults.Created($"/api/v1/scheduling/doctors/me/blocked-dates/{Format(date)}", new BlockedDateResult(Format(date), request.Reason?.Trim(), cancelled.ToArray()));
    }

    private static async Task<IResult> UnblockAsync(string date, ClaimsPrincipal user, AvailabilityStore store, CancellationToken ct)
    {
        if (!TryParse(date, out var day))
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["date"] = ["Data inválida (AAAA-MM-DD)."] });
        }

        return await store.RemoveBlockedAsync(user.GetId(), day, ct) ? TypedResults.NoContent() : Problems.NotFound("Esta data não está bloqueada.");
    }

    private static bool TryParse(string? value, out DateOnly date) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date) && date.Year is >= 2000 and <= 2200;

    private static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
