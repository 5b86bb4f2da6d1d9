using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Telemedicina.Audit.Contracts;
using Telemedicina.Audit.Infrastructure;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Audit.Endpoints.Consents;

internal sealed record ConsentRequest(string? Type, bool? Granted);

internal sealed record ConsentResponse(string Type, string Version, bool Granted, DateTimeOffset RecordedAt);

internal static class ConsentsEndpoint
{
    public static void MapConsents(this RouteGroupBuilder group)
    {
        group.MapGet("/consents", ListAsync).RequireAuthorization(Policies.Authenticated);
        group.MapPost("/consents", RecordAsync).RequireAuthorization(Policies.Authenticated);
    }

    private static async Task<Ok<ConsentResponse[]>> ListAsync(ClaimsPrincipal user, ConsentRegistry consents, IAuditTrail audit, CancellationToken ct)
    {
        var me = user.GetId();
        var current = await consents.ListCurrentAsync(me, ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "Consent", null, me, user.FindRole(), me, Purpose: "self-service"), ct);
        return TypedResults.Ok(current.Select(c => new ConsentResponse(c.Type, c.Version, c.Granted, c.RecordedAt)).ToArray());
    }

    private static async Task<Results<Ok<ConsentResponse>, ValidationProblem>> RecordAsync(
        ConsentRequest request, ClaimsPrincipal user, HttpContext http, ConsentRegistry consents, IAuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        var validation = new Validation()
            .Require(ConsentTypes.IsKnown(request.Type), "type", "Tipo de consentimento desconhecido.")
            .Require(request.Granted is not null, "granted", "Informe se o consentimento é concedido.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var userId = user.GetId();
        await consents.RecordAsync(userId, request.Type!, request.Granted!.Value, http.ClientIp(), http.UserAgent(), ct);
        await audit.RecordAsync(
            new AuditEvent(AuditActions.Update, "Consent", request.Type, userId, user.FindRole(), userId,
                Details: new Dictionary<string, string> { ["granted"] = request.Granted.Value ? "true" : "false" }),
            ct);
        return TypedResults.Ok(new ConsentResponse(request.Type!, ConsentRegistry.CurrentVersion, request.Granted.Value, clock.GetUtcNow()));
    }
}
