using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;
using Telemedicina.Audit.Privacy;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.BuildingBlocks.Storage;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Audit.Endpoints.Privacy;

internal sealed record ExportAccepted(Guid ExportId);

internal sealed record ExportStatus(
    Guid ExportId, string Status, DateTimeOffset RequestedAt, DateTimeOffset? CompletedAt, DateTimeOffset? ExpiresAt, long? SizeBytes, Uri? DownloadUrl);

internal sealed record ErasureRequest(string? Password);

/// <summary>Data-subject rights: portability export and erasure (the access report and consents are mapped beside them).</summary>
internal static class PrivacyEndpoints
{
    public static void MapDataSubjectRights(this RouteGroupBuilder privacy)
    {
        privacy.MapPost("/export", RequestExportAsync).RequireAuthorization(Policies.Authenticated)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        privacy.MapGet("/exports", ListExportsAsync).RequireAuthorization(Policies.Authenticated);
        privacy.MapGet("/export/{exportId:guid}", GetExportAsync).RequireAuthorization(Policies.Authenticated);
        privacy.MapGet("/export/{exportId:guid}/download", DownloadAsync).RequireAuthorization(Policies.Authenticated);
        privacy.MapPost("/erasure", EraseAsync).RequireAuthorization(Policies.Authenticated).ProducesProblem(StatusCodes.Status403Forbidden);
    }

    private static async Task<Results<Accepted<ExportAccepted>, ProblemHttpResult>> RequestExportAsync(
        ClaimsPrincipal user, DataExports exports, ExportQueue queue, IAuditTrail audit, IOptions<AuditSettings> settings, HttpContext http,
        TimeProvider clock, CancellationToken ct)
    {
        var me = user.GetId();
        var row = await exports.RequestAsync(me, ct);
        if (row is null)
        {
            // When, exactly: a "try again in a minute" on a daily limit would have a client retry all day.
            var wait = await exports.NextRequestAllowedAtAsync(me, ct) - clock.GetUtcNow();
            var seconds = (long)Math.Ceiling(Math.Max(1, wait.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.TooManyRequests(
                $"Você já pediu {settings.Value.ExportsPerDay} exportações nas últimas 24 horas. Tente novamente em {Math.Max(1, (int)Math.Ceiling(wait.TotalHours))} h.");
        }

        queue.Enqueue(row.Id);
        await audit.RecordAsync(new AuditEvent(AuditActions.Execute, "DataExport", row.Id.ToString(), me, user.FindRole(), me, Purpose: "data-subject-request"), ct);
        return TypedResults.Accepted($"/api/v1/privacy/export/{row.Id}", new ExportAccepted(row.Id));
    }

    private static async Task<Ok<ExportStatus[]>> ListExportsAsync(ClaimsPrincipal user, DataExports exports, IAuditTrail audit, CancellationToken ct)
    {
        var me = user.GetId();
        var rows = await exports.ListAsync(me, ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "DataExportList", null, me, user.FindRole(), me, Purpose: "data-subject-request"), ct);
        // A ready export is downloadable from the list too: through the API, which checks the caller and counts the
        // download. Pre-signed links are made one at a time, by the export's own status (each is audited and expires).
        return TypedResults.Ok(rows.Select(r => ToStatus(r, r.Status == "ready" ? ApiDownload(r.Id) : null)).ToArray());
    }

    private static async Task<Results<Ok<ExportStatus>, ProblemHttpResult>> GetExportAsync(
        Guid exportId, ClaimsPrincipal user, DataExports exports, IFileStore files, IAuditTrail audit, IOptions<AuditSettings> settings,
        TimeProvider clock, CancellationToken ct)
    {
        var me = user.GetId();
        var row = await exports.FindAsync(exportId, me, ct);
        if (row is null)
        {
            return Problems.NotFound();
        }

        Uri? url = null;
        if (row is { Status: "ready", FileKey: { } key, ExpiresAt: { } expires })
        {
            var lifetime = TimeSpan.FromTicks(Math.Min(settings.Value.DownloadUrlLifetime.Ticks, Math.Max((expires - clock.GetUtcNow()).Ticks, TimeSpan.FromMinutes(1).Ticks)));
            url = await files.GetDownloadUrlAsync(key, lifetime, "meus-dados.json", ct) ?? ApiDownload(row.Id);
            await audit.RecordAsync(new AuditEvent(AuditActions.Read, "DataExport", row.Id.ToString(), me, user.FindRole(), me, Purpose: "data-subject-request",
                Details: new Dictionary<string, string> { ["link"] = url.IsAbsoluteUri ? "pre-signed" : "api" }), ct);
        }

        return TypedResults.Ok(ToStatus(row, url));
    }

    private static async Task<IResult> DownloadAsync(
        Guid exportId, ClaimsPrincipal user, DataExports exports, IFileStore files, IAuditTrail audit, HttpContext http, CancellationToken ct)
    {
        var me = user.GetId();
        var row = await exports.FindAsync(exportId, me, ct);
        var file = row is { Status: "ready", FileKey: { } key } ? await files.OpenReadAsync(key, ct) : null;
        if (file is null)
        {
            return Problems.NotFound("A exportação não existe, ainda não ficou pronta ou já expirou.");
        }

        http.Response.RegisterForDisposeAsync(file);
        http.Response.Headers.CacheControl = "no-store";
        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "DataExport", exportId.ToString(), me, user.FindRole(), me, Purpose: "data-subject-request",
            Details: new Dictionary<string, string> { ["download"] = "api" }), ct);
        return TypedResults.Stream(file.Content, file.ContentType, "meus-dados.json");
    }

    private static async Task<Results<Ok<ErasureReport>, ProblemHttpResult, ValidationProblem>> EraseAsync(
        ErasureRequest? request, ClaimsPrincipal user, IUserDirectory directory, Erasures erasures, IAuditTrail audit, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request?.Password) || request.Password.Length > 256)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["password"] = ["Confirme com a sua senha."] });
        }

        var me = user.GetId();
        if (!await directory.CheckPasswordAsync(me, request.Password, ct))
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Delete, "PersonalData", me.ToString(), me, user.FindRole(), me, AuditOutcomes.Denied, "data-subject-request"), ct);
            return Problems.Forbidden("Senha incorreta.");
        }

        return TypedResults.Ok(await erasures.EraseAsync(me, user.FindRole(), ct));
    }

    private static Uri ApiDownload(Guid exportId) => new($"/api/v1/privacy/export/{exportId}/download", UriKind.Relative);

    private static ExportStatus ToStatus(ExportRow row, Uri? url) =>
        new(row.Id, row.Status, row.RequestedAt, row.CompletedAt, row.ExpiresAt, row.SizeBytes, url);
}
