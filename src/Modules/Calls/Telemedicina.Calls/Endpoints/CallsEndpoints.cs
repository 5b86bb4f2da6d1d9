using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Calls.Infrastructure;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Identity.Contracts;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Calls.Endpoints;

internal sealed record RequestCallRequest(Guid? AppointmentId);

internal sealed record EndCallRequest(string? Reason);

/// <summary>A browser's media quality figures from getStats().</summary>
internal sealed record QualityRequest(
    double? RoundTripTimeMs, double? JitterMs, double? PacketLossPercent, bool? Relay, int? IceRestarts, int? SecondsWithoutMedia);

internal static class CallsEndpoints
{
    public static void MapCalls(this RouteGroupBuilder calls)
    {
        calls.MapPost("", RequestAsync).RequireAuthorization(Policies.Patient).RequireRateLimiting(CallsModule.CallRequestRateLimit)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status429TooManyRequests);
        calls.MapGet("/ice-servers", IceServersAsync).RequireAuthorization(Policies.Authenticated).ProducesProblem(StatusCodes.Status404NotFound);
        calls.MapGet("/waiting", WaitingAsync).RequireAuthorization(Policies.Doctor);
        calls.MapPost("/{roomId:guid}/quality", ReportQualityAsync).RequireAuthorization(Policies.Authenticated)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        calls.MapGet("/{roomId:guid}", GetAsync).RequireAuthorization(Policies.Authenticated);
        calls.MapPost("/{roomId:guid}/accept", (Guid roomId, ClaimsPrincipal user, IGrainFactory grains) =>
            RunAsync(() => grains.GetGrain<IConsultationRoomGrain>(roomId).Accept(user.GetId()))).RequireAuthorization(Policies.Doctor)
                .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        calls.MapPost("/{roomId:guid}/reject", (Guid roomId, ClaimsPrincipal user, IGrainFactory grains) =>
            RunAsync(() => grains.GetGrain<IConsultationRoomGrain>(roomId).Reject(user.GetId()))).RequireAuthorization(Policies.Doctor)
                .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        calls.MapPost("/{roomId:guid}/cancel", (Guid roomId, ClaimsPrincipal user, IGrainFactory grains) =>
            RunAsync(() => grains.GetGrain<IConsultationRoomGrain>(roomId).Cancel(user.GetId()))).RequireAuthorization(Policies.Authenticated)
                .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
                .ProducesProblem(StatusCodes.Status409Conflict);
        calls.MapPost("/{roomId:guid}/end", (Guid roomId, EndCallRequest? request, ClaimsPrincipal user, IGrainFactory grains) =>
            RunAsync(() => grains.GetGrain<IConsultationRoomGrain>(roomId).EndCall(user.GetId(), Reason(request?.Reason)))).RequireAuthorization(Policies.Authenticated)
                .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Results<Created<CallView>, ValidationProblem, ProblemHttpResult>> RequestAsync(
        RequestCallRequest request,
        ClaimsPrincipal user,
        IAppointmentBook appointments,
        IUserDirectory directory,
        IConsentRegistry consents,
        IGrainFactory grains,
        IAuditTrail audit,
        IOptions<CallsSettings> settings,
        TimeProvider clock,
        CancellationToken ct)
    {
        if (request.AppointmentId is not { } appointmentId || appointmentId == Guid.Empty)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["appointmentId"] = ["Informe a consulta."] });
        }

        var me = user.GetId();
        // The consent read does not depend on the appointment: both go to the database at once, a round trip fewer
        // before the doctor is rung (S3 in docs/benchmarks.md). The consent answer counts only for the caller's own
        // appointment, checked first.
        var appointmentLookup = appointments.FindAsync(appointmentId, ct);
        var consentLookup = consents.HasConsentAsync(me, ConsentTypes.Telemedicine, ct);
        await Task.WhenAll(appointmentLookup, consentLookup);
        var appointment = await appointmentLookup;
        if (appointment is null || appointment.PatientId != me)
        {
            return Problems.NotFound("Consulta não encontrada.");
        }

        if (appointment.Status is not (AppointmentStatus.Scheduled or AppointmentStatus.InProgress))
        {
            return Problems.Conflict("Esta consulta não está mais agendada.");
        }

        var window = appointments.GetJoinWindow(appointment);
        var now = clock.GetUtcNow();
        if (!window.Contains(now))
        {
            var detail = now < window.OpensAt ? "A sala ainda não abriu." : "O horário desta consulta já passou.";
            return Problems.Unprocessable(detail, new Dictionary<string, object?>
            {
                ["opensAt"] = window.OpensAt.ToString("O", CultureInfo.InvariantCulture),
                ["closesAt"] = window.ClosesAt.ToString("O", CultureInfo.InvariantCulture),
            });
        }

        if (!await consentLookup)
        {
            return Problems.Make(StatusCodes.Status403Forbidden, "consent-required", "Consentimento necessário",
                "É preciso aceitar o termo de consentimento para telemedicina antes da consulta.");
        }

        var names = await directory.GetNamesAsync([appointment.PatientId, appointment.DoctorId], ct);
        var command = new OpenCall(
            appointment.AppointmentId,
            new CallParty(appointment.PatientId, names.GetValueOrDefault(appointment.PatientId) ?? "Paciente"),
            new CallParty(appointment.DoctorId, names.GetValueOrDefault(appointment.DoctorId) ?? "Médico(a)"),
            appointment.EndsAt,
            settings.Value.RingTimeout,
            settings.Value.MaxDuration,
            window.ClosesAt);
        try
        {
            var call = await grains.GetGrain<IAppointmentCallsGrain>(appointment.AppointmentId).RequestCall(command);
            await audit.RecordAsync(new AuditEvent(AuditActions.Create, "Call", call.RoomId.ToString(), me, Roles.Patient, me), ct);
            return TypedResults.Created($"/api/v1/calls/{call.RoomId}", call);
        }
        catch (CallRuleException e)
        {
            return CallErrors.ToProblem(e);
        }
    }

    /// <summary>The doctor's waiting room: who is waiting now (names of patients, so the read is audited).</summary>
    private static async Task<Ok<IReadOnlyList<WaitingCall>>> WaitingAsync(ClaimsPrincipal user, IGrainFactory grains, IAuditTrail audit, CancellationToken ct)
    {
        var me = user.GetId();
        var waiting = await grains.GetGrain<IUserPresenceGrain>(me).GetWaiting();
        foreach (var patient in waiting.Select(w => w.From.UserId).Distinct())
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Read, "WaitingRoom", null, me, Roles.Doctor, patient, Purpose: "care"), ct);
        }

        return TypedResults.Ok(waiting);
    }

    private static async Task<Results<Ok<CallView>, ProblemHttpResult>> GetAsync(
        Guid roomId, ClaimsPrincipal user, IGrainFactory grains, IAuditTrail audit, CancellationToken ct)
    {
        try
        {
            var me = user.GetId();
            var call = await grains.GetGrain<IConsultationRoomGrain>(roomId).GetCall(me);
            var patient = call.Participants.First(p => p.Role == ParticipantRole.Patient).UserId;
            await audit.RecordAsync(new AuditEvent(AuditActions.Read, "Call", roomId.ToString(), me, user.FindRole(), patient, Purpose: "care"), ct);
            return TypedResults.Ok(call);
        }
        catch (CallRuleException e)
        {
            return CallErrors.ToProblem(e);
        }
    }

    /// <summary>Operators' view of where a room and its parties' connections live.</summary>
    public static void MapCallsAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/{roomId:guid}/diagnostics", async (Guid roomId, ClaimsPrincipal user, IGrainFactory grains, IAuditTrail audit, CancellationToken ct) =>
        {
            try
            {
                var diagnostics = await RetryingAsync(() => grains.GetGrain<IConsultationRoomGrain>(roomId).GetDiagnostics());
                await audit.RecordAsync(new AuditEvent(AuditActions.Read, "CallDiagnostics", roomId.ToString(), user.GetId(), Roles.Admin, null, Purpose: "operations"), ct);
                return Results.Ok(diagnostics);
            }
            catch (CallRuleException e)
            {
                return CallErrors.ToProblem(e);
            }
        }).RequireAuthorization(Policies.Admin).Produces<RoomDiagnostics>().ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ReportQualityAsync(
        Guid roomId, QualityRequest request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider clock)
    {
        var errors = new Dictionary<string, string[]>();
        static bool Bad(double? value, double max) => value is { } v && (double.IsNaN(v) || v < 0 || v > max);
        if (Bad(request.RoundTripTimeMs, 60_000))
        {
            errors["roundTripTimeMs"] = ["Valor fora do intervalo (0 a 60000)."];
        }

        if (Bad(request.JitterMs, 60_000))
        {
            errors["jitterMs"] = ["Valor fora do intervalo (0 a 60000)."];
        }

        if (Bad(request.PacketLossPercent, 100))
        {
            errors["packetLossPercent"] = ["Valor fora do intervalo (0 a 100)."];
        }

        if (request.IceRestarts is < 0 or > 10_000)
        {
            errors["iceRestarts"] = ["Valor fora do intervalo (0 a 10000)."];
        }

        if (request.SecondsWithoutMedia is < 0 or > 86_400)
        {
            errors["secondsWithoutMedia"] = ["Valor fora do intervalo (0 a 86400)."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var report = new QualityReport(
            clock.GetUtcNow(), request.RoundTripTimeMs, request.JitterMs, request.PacketLossPercent,
            request.Relay ?? false, request.IceRestarts ?? 0, request.SecondsWithoutMedia ?? 0);
        try
        {
            await grains.GetGrain<IConsultationRoomGrain>(roomId).ReportQuality(user.GetId(), report);
            return TypedResults.NoContent();
        }
        catch (CallRuleException e)
        {
            return CallErrors.ToProblem(e);
        }
    }

    private static async Task<Results<Ok<IceServersResponse>, ProblemHttpResult>> IceServersAsync(
        Guid? appointmentId, ClaimsPrincipal user, IAppointmentBook appointments, IceServers ice, IOptions<TurnSettings> turn, CancellationToken ct)
    {
        var me = user.GetId();
        DateTimeOffset? until = null;
        if (appointmentId is { } id)
        {
            var appointment = await appointments.FindAsync(id, ct);
            if (appointment is null || (appointment.PatientId != me && appointment.DoctorId != me))
            {
                return Problems.NotFound("Consulta não encontrada.");
            }

            until = appointments.GetJoinWindow(appointment).ClosesAt + turn.Value.CredentialMargin;
        }

        return TypedResults.Ok(ice.For(me, until));
    }

    private static async Task<Results<Ok<CallView>, ProblemHttpResult>> RunAsync(Func<Task<CallView>> action)
    {
        try
        {
            return TypedResults.Ok(await RetryingAsync(action));
        }
        catch (CallRuleException e)
        {
            return CallErrors.ToProblem(e);
        }
    }

    /// <summary>
    /// A room that was never opened deactivates itself at once (it must not linger for random ids), so calls
    /// racing that deactivation are rejected ("forwarding failed"); the next activation answers them.
    /// </summary>
    private static async Task<T> RetryingAsync<T>(Func<Task<T>> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (OrleansMessageRejectionException) when (attempt < 5)
            {
                // Give the deactivation a moment to finish (three immediate retries were not always enough).
                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt));
            }
        }
    }

    private static string Reason(string? reason) =>
        string.IsNullOrWhiteSpace(reason) ? "hangup" : reason.Trim() is { Length: <= 64 } r && r.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? r : "hangup";
}
