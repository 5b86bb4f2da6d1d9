using System.Text.Json;
using Dapper;
using Npgsql;
using Telemedicina.Audit.Contracts;

namespace Telemedicina.Audit.Privacy;

/// <summary>The answer to an erasure request: what was anonymized and what was kept, and why.</summary>
internal sealed record ErasureReport(Guid SubjectId, DateTimeOffset ErasedAt, IReadOnlyList<ErasureOutcome> Modules);

/// <summary>
/// Erasure (LGPD art. 18 VI): every <see cref="IPersonalDataHolder"/> anonymizes what the law does not
/// require to keep, Identity last; the report is stored, so a repeated request answers the same.
/// </summary>
internal sealed class Erasures(NpgsqlDataSource db, IEnumerable<IPersonalDataHolder> holders, DataExports exports, IAuditTrail audit, TimeProvider clock)
{
    public async Task<ErasureReport> EraseAsync(Guid userId, string? actorRole, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(
                "INSERT INTO audit.erasures (user_id, requested_at) VALUES (@userId, @now) ON CONFLICT (user_id) DO NOTHING", new { userId, now });
        }

        await exports.ExpireAsync(userId, cancellationToken);
        var outcomes = new List<ErasureOutcome>();
        foreach (var holder in holders.OrderBy(h => h.ErasureOrder))
        {
            outcomes.Add(await holder.EraseAsync(userId, cancellationToken));
        }

        var report = new ErasureReport(userId, clock.GetUtcNow(), outcomes);
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(
                "UPDATE audit.erasures SET completed_at = @at, report = CAST(@report AS jsonb) WHERE user_id = @userId",
                new { userId, at = report.ErasedAt, report = JsonSerializer.Serialize(report, JsonSerializerOptions.Web) });
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Delete, "PersonalData", userId.ToString(), userId, actorRole, userId, Purpose: "data-subject-request",
            Details: new Dictionary<string, string> { ["modules"] = string.Join(',', outcomes.Select(o => o.Category)) }), cancellationToken);
        return report;
    }
}
