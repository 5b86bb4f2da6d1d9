using System.Globalization;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.Audit.Infrastructure;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Audit.Endpoints;

/// <summary>One audit entry as stored.</summary>
internal sealed record AuditEntryRow(
    long Id, DateTimeOffset OccurredAt, Guid? ActorId, string? ActorRole, string Action, string ResourceType, string? ResourceId,
    Guid? SubjectId, string Outcome, string? Purpose, string? IpAddress, string? Node);

/// <summary>
/// One audit entry as admins see it: the stored entry with the actor's and the subject's names (null for the system, an
/// unknown id, or where no person is involved), so that a page of the trail reads without looking up each id.
/// </summary>
internal sealed record AuditEntryView(
    long Id, DateTimeOffset OccurredAt, Guid? ActorId, string? ActorName, string? ActorRole, string Action, string ResourceType,
    string? ResourceId, Guid? SubjectId, string? SubjectName, string Outcome, string? Purpose, string? IpAddress, string? Node);

/// <summary>One line of the admin audit export (NDJSON), with the chain fields so it can be re-verified offline.</summary>
internal sealed record AuditExportLine(
    long Id, DateTimeOffset OccurredAt, Guid? ActorId, string? ActorRole, string Action, string ResourceType, string? ResourceId,
    Guid? SubjectId, string Outcome, string? Purpose, string? IpAddress, string? Node, string? Details, string PrevHash, string Hash);

internal sealed record AuditPage(IReadOnlyList<AuditEntryView> Items, int Page, int PageSize, long Total);

/// <summary>One access to the caller's data by someone else (LGPD access report).</summary>
internal sealed record AccessReportItem(DateTimeOffset At, Guid? ActorId, string? ActorName, string? ActorRole, string Action, string ResourceType, string? Purpose);

internal sealed record AccessReport(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<AccessReportItem> Accesses);

internal static class AuditEndpoints
{
    private const int PageSize = 50;
    private const int MaxReportRows = 5000;
    private const int MaxExportRows = 1_000_000;
    private const string Where =
        """
        WHERE (@actor::uuid IS NULL OR actor_id = @actor) AND (@subject::uuid IS NULL OR subject_id = @subject)
          AND (@action::text IS NULL OR action = @action)
          AND (@from::timestamptz IS NULL OR occurred_at >= @from) AND (@to::timestamptz IS NULL OR occurred_at < @to)
        """;
    private const string EntryColumns = "id, occurred_at, actor_id, actor_role, action, resource_type, resource_id, subject_id, outcome, purpose, ip_address, node";

    public static void MapAuditAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/audit", SearchAsync);
        admin.MapGet("/audit/verify", VerifyAsync);
        admin.MapGet("/audit/export", ExportAsync).Produces<AuditExportLine>(StatusCodes.Status200OK, "application/x-ndjson");
        admin.MapPost("/audit/checkpoints", CheckpointAsync);
    }

    public static void MapAccessReport(this RouteGroupBuilder privacy) =>
        privacy.MapGet("/access-report", AccessReportAsync).RequireAuthorization(Policies.Authenticated);

    private static async Task<Results<Ok<AuditPage>, ValidationProblem>> SearchAsync(
        string? actor, string? subject, string? action, string? from, string? to, string? page,
        ClaimsPrincipal user, NpgsqlDataSource db, IUserDirectory directory, IAuditTrail audit, CancellationToken ct)
    {
        var query = AuditQuery.Read(actor, subject, action, from, to);
        var validation = query.Validation
            .Require(page is null || int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 100_000, "page", "A página deve ser de 1 a 100000.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var (actorId, subjectId, fromAt, toAt) = (query.Actor, query.Subject, query.From, query.To);

        var number = page is null ? 1 : int.Parse(page, CultureInfo.InvariantCulture);
        var filter = new { actor = actorId, subject = subjectId, action, from = fromAt, to = toAt, offset = (number - 1) * PageSize, limit = PageSize };
        await using var connection = await db.OpenConnectionAsync(ct);
        // Unfiltered (the page an admin opens first), the total is the whole trail, which is kept at least five years
        // and only grows: counted from the last checkpoint, not row by row (about 200 ms at five million entries).
        var unfiltered = actorId is null && subjectId is null && action is null && fromAt is null && toAt is null;
        var total = await connection.ExecuteScalarAsync<long>(unfiltered ? Audit.Privacy.AuditCheckpoints.TrailCountSql : $"SELECT count(*) FROM audit.entries {Where}", filter);
        var rows = (await connection.QueryAsync<AuditEntryRow>(
            $"""
            SELECT {EntryColumns}
            FROM audit.entries {Where} ORDER BY id DESC OFFSET @offset LIMIT @limit
            """,
            filter)).AsList();
        var names = await directory.GetNamesAsync([.. rows.SelectMany(r => new[] { r.ActorId, r.SubjectId }).OfType<Guid>().Distinct()], ct);
        var items = rows.Select(r => new AuditEntryView(
            r.Id, r.OccurredAt, r.ActorId, NameOf(r.ActorId), r.ActorRole, r.Action, r.ResourceType, r.ResourceId,
            r.SubjectId, NameOf(r.SubjectId), r.Outcome, r.Purpose, r.IpAddress, r.Node)).ToList();

        // Reading the audit trail is itself an access to personal data.
        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "AuditTrail", null, user.GetId(), Roles.Admin, subjectId, Purpose: "audit",
            Details: new Dictionary<string, string> { ["actor"] = actorId?.ToString() ?? "", ["action"] = action ?? "" }), ct);
        return TypedResults.Ok(new AuditPage(items, number, PageSize, total));

        string? NameOf(Guid? id) => id is { } known && names.TryGetValue(known, out var name) ? name : null;
    }

    /// <summary>The matching entries as NDJSON (one JSON object per line), streamed in id order, with their hashes.</summary>
    private static async Task<Results<EmptyHttpResult, ValidationProblem>> ExportAsync(
        string? actor, string? subject, string? action, string? from, string? to,
        ClaimsPrincipal user, HttpContext http, NpgsqlDataSource db, IAuditTrail audit, CancellationToken ct)
    {
        var query = AuditQuery.Read(actor, subject, action, from, to);
        if (!query.Validation.IsValid)
        {
            return Problems.Validation(query.Validation.ToDictionary());
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "AuditTrail", "export", user.GetId(), Roles.Admin, query.Subject, Purpose: "audit",
            Details: new Dictionary<string, string> { ["actor"] = query.Actor?.ToString() ?? "", ["action"] = action ?? "" }), ct);
        http.Response.ContentType = "application/x-ndjson; charset=utf-8";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"audit.ndjson\"";
        http.Response.Headers.CacheControl = "no-store";
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = connection.QueryUnbufferedAsync<AuditExportLine>(
            $"SELECT {EntryColumns}, details::text AS details, encode(prev_hash, 'hex') AS prev_hash, encode(hash, 'hex') AS hash FROM audit.entries {Where} ORDER BY id LIMIT {MaxExportRows}",
            new { actor = query.Actor, subject = query.Subject, action, from = query.From, to = query.To });
        await foreach (var row in rows.WithCancellation(ct))
        {
            await System.Text.Json.JsonSerializer.SerializeAsync(http.Response.Body, row, System.Text.Json.JsonSerializerOptions.Web, ct);
            await http.Response.Body.WriteAsync("\n"u8.ToArray(), ct);
        }

        return TypedResults.Empty;
    }

    /// <summary>Writes a signed checkpoint now (before maintenance, or to seal the log after an incident).</summary>
    private static async Task<Ok<Audit.Privacy.AuditCheckpoint>> CheckpointAsync(ClaimsPrincipal user, Audit.Privacy.AuditCheckpoints checkpoints, IAuditTrail audit, CancellationToken ct)
    {
        await audit.RecordAsync(new AuditEvent(AuditActions.Execute, "AuditCheckpoint", null, user.GetId(), Roles.Admin, null, Purpose: "audit"), ct);
        var checkpoint = await checkpoints.WriteAsync(force: true, ct) ?? (await checkpoints.LatestAsync(ct))!.Value.Checkpoint;
        return TypedResults.Ok(checkpoint);
    }

    private static async Task<Ok<AuditVerification>> VerifyAsync(ClaimsPrincipal user, AuditVerifier verifier, IAuditTrail audit, CancellationToken ct)
    {
        var result = await verifier.VerifyAsync(ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Execute, "AuditTrail", "verify", user.GetId(), Roles.Admin, null, Purpose: "audit",
            Outcome: result.Valid ? AuditOutcomes.Success : AuditOutcomes.Failure,
            Details: new Dictionary<string, string> { ["checked"] = result.Checked.ToString(CultureInfo.InvariantCulture), ["firstBrokenId"] = result.FirstBrokenId?.ToString(CultureInfo.InvariantCulture) ?? "" }), ct);
        return TypedResults.Ok(result);
    }

    private static async Task<Results<Ok<AccessReport>, ValidationProblem>> AccessReportAsync(
        string? from, string? to, ClaimsPrincipal user, NpgsqlDataSource db, IUserDirectory directory, IAuditTrail audit,
        TimeProvider clock, CancellationToken ct)
    {
        var validation = new Validation()
            .OptionalInstant(from, "from", out var fromAt)
            .OptionalInstant(to, "to", out var toAt);
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var until = toAt ?? clock.GetUtcNow();
        var since = fromAt ?? until.AddYears(-1);
        validation
            .Require(since <= until, "from", "O início deve ser anterior ao fim.")
            .Require(until - since <= TimeSpan.FromDays(3660), "from", "Período máximo de 10 anos.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var me = user.GetId();
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<AccessReportItem>(
            """
            SELECT occurred_at AS at, actor_id, NULL AS actor_name, actor_role, action, resource_type, purpose
            FROM audit.entries
            WHERE subject_id = @me AND (actor_id IS NULL OR actor_id <> @me) AND occurred_at >= @since AND occurred_at <= @until
            ORDER BY id DESC LIMIT @limit
            """,
            new { me, since, until, limit = MaxReportRows })).ToList();
        var names = await directory.GetNamesAsync([.. rows.Where(r => r.ActorId is not null).Select(r => r.ActorId!.Value).Distinct()], ct);
        var items = rows.Select(r => r with { ActorName = r.ActorId is { } id ? names.GetValueOrDefault(id) : null }).ToList();
        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "AccessReport", null, me, user.FindRole(), me, Purpose: "data-subject-request"), ct);
        return TypedResults.Ok(new AccessReport(since, until, items));
    }

    /// <summary>The filters of an audit search or export, read from the query string with an error for each bad one.</summary>
    private sealed record AuditQuery(Guid? Actor, Guid? Subject, DateTimeOffset? From, DateTimeOffset? To, Validation Validation)
    {
        public static AuditQuery Read(string? actor, string? subject, string? action, string? from, string? to)
        {
            var validation = new Validation()
                .OptionalGuid(actor, "actor", out var actorId)
                .OptionalGuid(subject, "subject", out var subjectId)
                // An action the trail never records found nothing, as if no one had done it: say so instead.
                .Require(action is null || AuditActions.All.Contains(action), "action", $"Ação desconhecida. Use uma destas: {string.Join(", ", AuditActions.All)}.")
                .OptionalInstant(from, "from", out var fromAt)
                .OptionalInstant(to, "to", out var toAt);
            validation.Require(fromAt is null || toAt is null || fromAt <= toAt, "from", "O início deve ser anterior ao fim.");
            return new AuditQuery(actorId, subjectId, fromAt, toAt, validation);
        }
    }
}
