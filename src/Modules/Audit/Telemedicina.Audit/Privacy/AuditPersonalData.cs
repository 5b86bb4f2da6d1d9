using Dapper;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Audit.Privacy;

/// <summary>
/// Consents and the audit entries about the person. Other people's IP addresses (a doctor who read
/// the record, say) are left out of the export; the entries themselves are kept on erasure. Who acted is named, as the
/// access report names them.
/// </summary>
internal sealed class AuditPersonalData(NpgsqlDataSource db, IUserDirectory directory) : IPersonalDataHolder
{
    public string Category => "privacy";

    public int ErasureOrder => 30;

    public async Task<object?> ExportAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var consents = await connection.QueryAsync<ConsentExport>(
            "SELECT type, version, granted, recorded_at, ip_address, user_agent FROM audit.consents WHERE user_id = @userId ORDER BY id", new { userId });
        var accesses = await connection.QueryAsync<AccessExport>(
            """
            SELECT id, occurred_at, actor_id, actor_role, action, resource_type, resource_id, outcome, purpose,
                   CASE WHEN actor_id = @userId THEN ip_address END AS ip_address
            FROM audit.entries WHERE subject_id = @userId OR (actor_id = @userId AND subject_id IS NULL) ORDER BY id
            """,
            new { userId });
        var exports = await connection.QueryAsync<ExportHistory>(
            "SELECT id, status, requested_at, completed_at, expires_at FROM audit.exports WHERE user_id = @userId ORDER BY requested_at", new { userId });
        var names = await directory.GetNamesAsync([.. accesses.Select(a => a.ActorId).OfType<Guid>().Distinct()], cancellationToken);
        var trail = accesses.Select(a => new
        {
            a.Id, a.OccurredAt, a.ActorId, ActorName = a.ActorId is { } actor ? names.GetValueOrDefault(actor) : null, a.ActorRole, a.Action,
            a.ResourceType, a.ResourceId, a.Outcome, a.Purpose, a.IpAddress,
        });
        return new { Consents = consents, AuditTrail = trail, Exports = exports };
    }

    public Task<ErasureOutcome> EraseAsync(Guid userId, CancellationToken cancellationToken) =>
        Task.FromResult(new ErasureOutcome(
            Category,
            ["arquivos de exportação de dados (apagados)"],
            [
                new("registros de consentimento (tipo, versão, data, IP, navegador)", "prova da base legal do tratamento (LGPD art. 8º §2º)", "5 anos"),
                new("trilha de auditoria de acessos aos seus dados", "prestação de contas do controlador (LGPD arts. 6º X e 37)", "5 anos"),
            ]));

    private sealed record ConsentExport(string Type, string Version, bool Granted, DateTimeOffset RecordedAt, string? IpAddress, string? UserAgent);

    private sealed record AccessExport(
        long Id, DateTimeOffset OccurredAt, Guid? ActorId, string? ActorRole, string Action, string ResourceType, string? ResourceId,
        string Outcome, string? Purpose, string? IpAddress);

    private sealed record ExportHistory(Guid Id, string Status, DateTimeOffset RequestedAt, DateTimeOffset? CompletedAt, DateTimeOffset? ExpiresAt);
}
