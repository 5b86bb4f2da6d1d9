using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.Audit.Privacy;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Audit.Endpoints.Incidents;

internal sealed record IncidentRequest(
    string? Title, string? Description, DateTimeOffset? OccurredAt, DateTimeOffset? DiscoveredAt, string[]? DataCategories,
    Guid[]? AffectedSubjectIds, string? Measures);

internal sealed record IncidentNoticeRequest(DateTimeOffset? AnpdNotifiedAt, DateTimeOffset? SubjectsNotifiedAt);

internal sealed class IncidentView
{
    public Guid Id { get; init; }

    public string Title { get; init; } = "";

    public string Description { get; init; } = "";

    public DateTimeOffset? OccurredAt { get; init; }

    public DateTimeOffset DiscoveredAt { get; init; }

    public string[] DataCategories { get; init; } = [];

    public Guid[] AffectedSubjects { get; init; } = [];

    public string? Measures { get; init; }

    public DateTimeOffset NotifyBy { get; init; }

    public DateTimeOffset? AnpdNotifiedAt { get; init; }

    public DateTimeOffset? SubjectsNotifiedAt { get; init; }

    public Guid CreatedBy { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Past the deadline with the ANPD or the affected people still not notified.</summary>
    public bool Overdue { get; set; }
}

/// <summary>The incident register (LGPD art. 48): what happened, which data, whom it affects, and the notice deadline.</summary>
internal static class IncidentsEndpoints
{
    private const string Columns =
        "id, title, description, occurred_at, discovered_at, data_categories, affected_subjects, measures, notify_by, anpd_notified_at, subjects_notified_at, created_by, created_at";

    public static void MapIncidents(this RouteGroupBuilder admin)
    {
        admin.MapPost("/incidents", CreateAsync);
        admin.MapGet("/incidents", ListAsync);
        admin.MapGet("/incidents/{id:guid}", GetAsync);
        admin.MapPost("/incidents/{id:guid}/notices", RecordNoticeAsync).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Results<Created<IncidentView>, ValidationProblem>> CreateAsync(
        IncidentRequest request, ClaimsPrincipal user, NpgsqlDataSource db, IAuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var validation = new Validation()
            .Require(request.Title is { Length: >= 3 and <= 200 }, "title", "Informe um título de 3 a 200 caracteres.")
            .Require(request.Description is { Length: >= 1 and <= 10_000 }, "description", "Descreva o incidente (até 10000 caracteres).")
            .Require(request.DiscoveredAt is { } d && d <= now.AddMinutes(5), "discoveredAt", "Informe quando o incidente foi descoberto (não no futuro).")
            .Require(request.OccurredAt is null || request.DiscoveredAt is null || request.OccurredAt <= request.DiscoveredAt, "occurredAt", "A ocorrência não pode ser posterior à descoberta.")
            .Require(request.DataCategories is { Length: >= 1 and <= 30 } c && c.All(x => x is { Length: >= 1 and <= 100 }), "dataCategories", "Informe de 1 a 30 categorias de dados.")
            .Require(request.AffectedSubjectIds is null || request.AffectedSubjectIds.Length <= 100_000, "affectedSubjectIds", "No máximo 100000 titulares por registro.")
            .Require(request.Measures is null || request.Measures.Length <= 10_000, "measures", "Medidas: até 10000 caracteres.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var incident = new IncidentView
        {
            Id = Guid.NewGuid(),
            Title = request.Title!.Trim(),
            Description = request.Description!,
            OccurredAt = request.OccurredAt?.ToUniversalTime(),
            DiscoveredAt = request.DiscoveredAt!.Value.ToUniversalTime(),
            DataCategories = request.DataCategories!.Select(c => c.Trim()).Distinct(StringComparer.Ordinal).ToArray(),
            AffectedSubjects = (request.AffectedSubjectIds ?? []).Distinct().ToArray(),
            Measures = request.Measures,
            NotifyBy = IncidentDeadline.NotifyBy(request.DiscoveredAt!.Value).ToUniversalTime(),
            CreatedBy = user.GetId(),
            CreatedAt = now,
        };
        incident.Overdue = now > incident.NotifyBy;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO audit.incidents (id, title, description, occurred_at, discovered_at, data_categories, affected_subjects, measures, notify_by, created_by, created_at)
                VALUES (@Id, @Title, @Description, @OccurredAt, @DiscoveredAt, @DataCategories, @AffectedSubjects, @Measures, @NotifyBy, @CreatedBy, @CreatedAt)
                """,
                incident);
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Create, "Incident", incident.Id.ToString(), incident.CreatedBy, Roles.Admin, null, Purpose: "incident-response",
            Details: new Dictionary<string, string> { ["affected"] = incident.AffectedSubjects.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) }), ct);
        return TypedResults.Created($"/api/v1/admin/incidents/{incident.Id}", incident);
    }

    private static async Task<Ok<IncidentView[]>> ListAsync(ClaimsPrincipal user, NpgsqlDataSource db, IAuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var items = (await connection.QueryAsync<IncidentView>($"SELECT {Columns} FROM audit.incidents ORDER BY discovered_at DESC LIMIT 200")).ToArray();
        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "Incident", null, user.GetId(), Roles.Admin, null, Purpose: "incident-response"), ct);
        return TypedResults.Ok(Array.ConvertAll(items, i => WithOverdue(i, clock)));
    }

    private static async Task<Results<Ok<IncidentView>, ProblemHttpResult>> GetAsync(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, IAuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var incident = await connection.QuerySingleOrDefaultAsync<IncidentView>($"SELECT {Columns} FROM audit.incidents WHERE id = @id", new { id });
        if (incident is null)
        {
            return Problems.NotFound();
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "Incident", id.ToString(), user.GetId(), Roles.Admin, null, Purpose: "incident-response"), ct);
        return TypedResults.Ok(WithOverdue(incident, clock));
    }

    private static async Task<Results<Ok<IncidentView>, ProblemHttpResult, ValidationProblem>> RecordNoticeAsync(
        Guid id, IncidentNoticeRequest request, ClaimsPrincipal user, NpgsqlDataSource db, IAuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var validation = new Validation()
            .Require(request.AnpdNotifiedAt is not null || request.SubjectsNotifiedAt is not null, "anpdNotifiedAt", "Informe quando a ANPD ou os titulares foram comunicados.")
            .Require(request.AnpdNotifiedAt is null || request.AnpdNotifiedAt <= now.AddMinutes(5), "anpdNotifiedAt", "A data não pode estar no futuro.")
            .Require(request.SubjectsNotifiedAt is null || request.SubjectsNotifiedAt <= now.AddMinutes(5), "subjectsNotifiedAt", "A data não pode estar no futuro.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var current = await connection.QuerySingleOrDefaultAsync<IncidentView>($"SELECT {Columns} FROM audit.incidents WHERE id = @id", new { id });
        if (current is null)
        {
            return Problems.NotFound();
        }

        var order = new Validation()
            .Require(request.AnpdNotifiedAt is null || request.AnpdNotifiedAt >= current.DiscoveredAt, "anpdNotifiedAt", "A comunicação não pode ser anterior à descoberta do incidente.")
            .Require(request.SubjectsNotifiedAt is null || request.SubjectsNotifiedAt >= current.DiscoveredAt, "subjectsNotifiedAt", "A comunicação não pode ser anterior à descoberta do incidente.");
        if (!order.IsValid)
        {
            return Problems.Validation(order.ToDictionary());
        }

        // A register of what was done: a notice, once recorded, is not rewritten (sending the same time again is harmless).
        var incident = await connection.QuerySingleOrDefaultAsync<IncidentView>(
            $"""
            UPDATE audit.incidents SET anpd_notified_at = COALESCE(anpd_notified_at, @AnpdNotifiedAt),
                                       subjects_notified_at = COALESCE(subjects_notified_at, @SubjectsNotifiedAt)
            WHERE id = @id
              AND (@AnpdNotifiedAt::timestamptz IS NULL OR anpd_notified_at IS NULL OR anpd_notified_at = @AnpdNotifiedAt)
              AND (@SubjectsNotifiedAt::timestamptz IS NULL OR subjects_notified_at IS NULL OR subjects_notified_at = @SubjectsNotifiedAt)
            RETURNING {Columns}
            """,
            new { id, AnpdNotifiedAt = request.AnpdNotifiedAt?.ToUniversalTime(), SubjectsNotifiedAt = request.SubjectsNotifiedAt?.ToUniversalTime() });
        if (incident is null)
        {
            return Problems.Make(StatusCodes.Status409Conflict, "notice-recorded", "Comunicação já registrada",
                "A data desta comunicação já foi registrada e não é alterada.");
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Update, "Incident", id.ToString(), user.GetId(), Roles.Admin, null, Purpose: "incident-response"), ct);
        return TypedResults.Ok(WithOverdue(incident, clock));
    }

    private static IncidentView WithOverdue(IncidentView incident, TimeProvider clock)
    {
        incident.Overdue = clock.GetUtcNow() > incident.NotifyBy && (incident.AnpdNotifiedAt is null || incident.SubjectsNotifiedAt is null);
        return incident;
    }
}
