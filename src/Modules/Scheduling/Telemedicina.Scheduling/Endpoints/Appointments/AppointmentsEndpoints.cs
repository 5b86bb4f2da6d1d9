using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Contracts;
using Telemedicina.Scheduling.Contracts;
using Telemedicina.Scheduling.Endpoints.Doctors;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.Scheduling.Endpoints.Appointments;

internal sealed record BookRequest(Guid? DoctorId, string? StartsAt, string? Reason);

internal sealed record BookedResponse(Guid AppointmentId, AppointmentStatus Status, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

/// <summary>
/// An appointment as its parties and admins see it. <see cref="PatientChangesUntil"/>: until when the patient may cancel
/// or reschedule it (Scheduling:CancelBefore before the start; the doctor may cancel any time). <see cref="CancelReason"/>:
/// why it was cancelled, as the other party was told.
/// </summary>
internal sealed record AppointmentView(
    Guid AppointmentId,
    Guid DoctorId,
    string? DoctorName,
    Guid PatientId,
    string? PatientName,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    AppointmentStatus Status,
    string? Reason,
    int? DurationSeconds,
    DateTimeOffset JoinOpensAt,
    DateTimeOffset JoinClosesAt,
    DateTimeOffset PatientChangesUntil,
    string? CancelReason);

internal sealed record CancelRequest(string? Reason);

internal sealed record RescheduleRequest(string? StartsAt);

internal sealed record HistoryView(DateTimeOffset At, Guid? ByUserId, string What, string? FromStatus, string? ToStatus, string? Why);

internal static class AppointmentsEndpoints
{
    public static void MapAppointments(this RouteGroupBuilder group)
    {
        group.MapPost("/appointments", BookAsync).RequireAuthorization(Policies.Patient)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/appointments", ListAsync).RequireAuthorization(Policies.Authenticated)
            .Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/appointments/{id:guid}", GetAsync).RequireAuthorization(Policies.Authenticated);
        group.MapGet("/appointments/{id:guid}/history", HistoryAsync).RequireAuthorization(Policies.Authenticated);
        group.MapPost("/appointments/{id:guid}/cancel", CancelAsync).RequireAuthorization(Policies.Authenticated)
            .Produces<AppointmentView>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapPost("/appointments/{id:guid}/reschedule", RescheduleAsync).RequireAuthorization(Policies.Patient)
            .Produces<AppointmentView>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<IResult> CancelAsync(
        Guid id, CancelRequest? request, ClaimsPrincipal user, Booking booking, AppointmentViews views, IAuditTrail audit, CancellationToken ct)
    {
        if (request?.Reason is { Length: > 500 })
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["reason"] = ["Motivo deve ter no máximo 500 caracteres."] });
        }

        var me = user.GetId();
        var role = user.FindRole() ?? "";
        // Parties cancel here; admins cancel on behalf through the admin API.
        var result = await booking.CancelAsync(id, me, asAdmin: false, request?.Reason, ct);
        if (result is BookingResult.Booked cancelled)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Update, "Appointment", id.ToString(), me, role, cancelled.Appointment.PatientId,
                Details: new Dictionary<string, string> { ["status"] = "cancelled" }), ct);
            return TypedResults.Ok((await views.ToViewsAsync([cancelled.Appointment], ct))[0]);
        }

        return ToProblem(result);
    }

    private const string StartsAtFormat = "Horário inválido: use ISO 8601 com o fuso, como o dos horários livres (2026-12-07T17:00:00Z ou 2026-12-07T14:00:00-03:00).";

    private static async Task<IResult> RescheduleAsync(
        Guid id, RescheduleRequest request, ClaimsPrincipal user, Booking booking, AppointmentViews views, IAuditTrail audit, CancellationToken ct)
    {
        if (!IsoInstant.TryParseWithOffset(request.StartsAt, out var startsAt))
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["startsAt"] = [StartsAtFormat] });
        }

        var me = user.GetId();
        var result = await booking.RescheduleAsync(id, me, startsAt, ct);
        if (result is BookingResult.Booked moved)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Update, "Appointment", id.ToString(), me, Roles.Patient, me,
                Details: new Dictionary<string, string> { ["status"] = "rescheduled", ["newAppointmentId"] = moved.Appointment.Id.ToString() }), ct);
            var view = (await views.ToViewsAsync([moved.Appointment], ct))[0];
            return TypedResults.Created($"/api/v1/scheduling/appointments/{view.AppointmentId}", view);
        }

        return ToProblem(result);
    }

    /// <summary>Maps a refused booking action to its problem response.</summary>
    internal static IResult ToProblem(BookingResult result) => result switch
    {
        BookingResult.NotFound => Problems.NotFound("Consulta não encontrada."),
        BookingResult.WrongState wrong => Problems.Conflict(wrong.Detail),
        BookingResult.NotAllowed notAllowed => Problems.Make(StatusCodes.Status403Forbidden, notAllowed.Type, "Operação não permitida", notAllowed.Detail),
        BookingResult.Unprocessable unprocessable => Problems.Unprocessable(unprocessable.Detail),
        BookingResult.Taken taken => Problems.Conflict(taken.Detail, new Dictionary<string, object?>
        {
            ["alternatives"] = taken.Alternatives.Select(s => new SlotView(s.StartsAt, s.EndsAt)).ToArray(),
        }),
        _ => throw new InvalidOperationException("Unexpected booking result."),
    };

    private static async Task<Results<Created<BookedResponse>, ValidationProblem, ProblemHttpResult>> BookAsync(
        BookRequest request, ClaimsPrincipal user, Booking booking, IAuditTrail audit, CancellationToken ct)
    {
        var startsAt = default(DateTimeOffset);
        var validation = new Validation()
            .Require(request.DoctorId is not null && request.DoctorId != Guid.Empty, "doctorId", "Informe o médico.")
            .Require(IsoInstant.TryParseWithOffset(request.StartsAt, out startsAt), "startsAt", StartsAtFormat)
            .MaxLength(request.Reason, "reason", 500, "Motivo");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var patientId = user.GetId();
        var result = await booking.BookAsync(patientId, request.DoctorId!.Value, startsAt, request.Reason, ct);
        switch (result)
        {
            case BookingResult.Booked booked:
                var a = booked.Appointment;
                await audit.RecordAsync(new AuditEvent(AuditActions.Create, "Appointment", a.Id.ToString(), patientId, Roles.Patient, patientId), ct);
                return TypedResults.Created($"/api/v1/scheduling/appointments/{a.Id}", new BookedResponse(a.Id, AppointmentStatus.Scheduled, a.StartsAt, a.EndsAt));
            case BookingResult.NotAllowed notAllowed:
                return Problems.Make(StatusCodes.Status403Forbidden, notAllowed.Type, "Agendamento não permitido", notAllowed.Detail);
            case BookingResult.Taken taken:
                return Problems.Conflict(taken.Detail, new Dictionary<string, object?>
                {
                    ["alternatives"] = taken.Alternatives.Select(s => new SlotView(s.StartsAt, s.EndsAt)).ToArray(),
                });
            case BookingResult.Unprocessable unprocessable:
                return Problems.Unprocessable(unprocessable.Detail);
            default:
                throw new InvalidOperationException("Unknown booking result.");
        }
    }

    private static async Task<Results<Ok<AppointmentView[]>, StatusCodeHttpResult, ValidationProblem, ProblemHttpResult>> ListAsync(
        string? role, string? from, string? to, HttpContext http, ClaimsPrincipal user, AppointmentStore store, AppointmentViews views,
        IAuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var start = now.AddDays(-30);
        var end = now.AddDays(90);
        var callerRole = user.FindRole();
        var validation = new Validation()
            .Require(role is null or Roles.Patient or Roles.Doctor, "role", "Perfil deve ser 'patient' ou 'doctor'.")
            .Require(from is null || IsoInstant.TryParse(from, out start), "from", "Data inicial inválida (ISO 8601).")
            .Require(to is null || IsoInstant.TryParse(to, out end), "to", "Data final inválida (ISO 8601).");
        if (validation.IsValid)
        {
            validation.Require(end > start, "to", "A data final deve ser depois da inicial.")
                .Require(end - start <= TimeSpan.FromDays(400), "to", "Consulte no máximo 400 dias por vez.");
        }

        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        // Only the caller's own appointments, on the side the caller is: a role that is not the
        // caller's simply matches nothing.
        var me = user.GetId();
        var asRole = role ?? callerRole;
        if (asRole != callerRole)
        {
            return TypedResults.Ok(Array.Empty<AppointmentView>());
        }

        // Anyone else (an admin) has no appointments of their own: nothing to read.
        IReadOnlyList<AppointmentRow> rows = asRole is Roles.Doctor or Roles.Patient ? await store.ListAsync(asRole == Roles.Doctor, me, start, end, ct) : [];
        if (rows.Count > AppointmentStore.ListLimit)
        {
            // Cut short, the list would look complete and miss the rest of the window.
            return Problems.Unprocessable(
                $"Há mais de {AppointmentStore.ListLimit} consultas neste período. Consulte um período menor (use 'from' e 'to').");
        }

        var list = await views.ToViewsAsync(rows, ct);
        if (ConditionalGet.IsUnchanged(http, list))
        {
            // The page already shows exactly this list (it sent back its entity tag): nothing is disclosed, so nothing
            // is recorded. A page that polls records a read only when what it shows changes.
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "AppointmentList", null, me, callerRole, me, Purpose: "self-service"), ct);
        if (asRole == Roles.Doctor)
        {
            // The doctor's list shows each patient's name and reason: a read of each patient's data, which their access
            // report must show (LGPD), once per patient and list.
            await Task.WhenAll(rows.Select(r => r.PatientId).Distinct().Select(patientId =>
                audit.RecordAsync(new AuditEvent(AuditActions.Read, "AppointmentList", null, me, Roles.Doctor, patientId, Purpose: "care"), ct)));
        }

        return TypedResults.Ok(list);
    }

    private static async Task<Results<Ok<AppointmentView>, ProblemHttpResult>> GetAsync(
        Guid id, ClaimsPrincipal user, AppointmentStore store, AppointmentViews views, IAuditTrail audit, CancellationToken ct)
    {
        var row = await store.FindAsync(id, ct);
        var me = user.GetId();
        if (row is null || (row.PatientId != me && row.DoctorId != me))
        {
            return Problems.NotFound("Consulta não encontrada.");
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "Appointment", id.ToString(), me, user.FindRole(), row.PatientId, Purpose: "care"), ct);
        return TypedResults.Ok((await views.ToViewsAsync([row], ct))[0]);
    }

    private static async Task<Results<Ok<HistoryView[]>, ProblemHttpResult>> HistoryAsync(
        Guid id, ClaimsPrincipal user, AppointmentStore store, IAuditTrail audit, CancellationToken ct)
    {
        var row = await store.FindAsync(id, ct);
        var me = user.GetId();
        if (row is null || (row.PatientId != me && row.DoctorId != me))
        {
            return Problems.NotFound("Consulta não encontrada.");
        }

        var history = await store.HistoryAsync(id, ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "AppointmentHistory", id.ToString(), me, user.FindRole(), row.PatientId, Purpose: "care"), ct);
        return TypedResults.Ok(history.Select(h => new HistoryView(h.At, h.ByUserId, h.What, h.FromStatus, h.ToStatus, h.Why)).ToArray());
    }
}
