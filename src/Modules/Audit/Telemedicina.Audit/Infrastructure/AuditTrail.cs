using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks;
using Telemedicina.BuildingBlocks.Http;

namespace Telemedicina.Audit.Infrastructure;

/// <summary>Appends hash-chained entries to <c>audit.entries</c>.</summary>
internal sealed class AuditTrail(NpgsqlDataSource db, IHttpContextAccessor http, NodeInfo node, TimeProvider clock) : IAuditTrail
{
    // Serializes writers across silos for the length of one transaction.
    private const long ChainLockKey = 0x7E1E_0A0D;

    public async Task RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        var entry = new AuditRow
        {
            OccurredAt = clock.GetUtcNow(),
            ActorId = auditEvent.ActorId,
            ActorRole = auditEvent.ActorRole,
            Action = auditEvent.Action,
            ResourceType = auditEvent.ResourceType,
            ResourceId = auditEvent.ResourceId,
            SubjectId = auditEvent.SubjectId,
            Outcome = auditEvent.Outcome,
            Purpose = auditEvent.Purpose,
            IpAddress = http.HttpContext.ClientIp(),
            Node = node.Name,
            Details = auditEvent.Details is null ? null : JsonSerializer.Serialize(auditEvent.Details),
        };

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = ChainLockKey }, tx);
        var previous = await connection.QuerySingleOrDefaultAsync<byte[]>(
            "SELECT hash FROM audit.entries ORDER BY id DESC LIMIT 1", transaction: tx) ?? new byte[32];
        entry.PrevHash = previous;
        entry.Hash = AuditHash.Compute(previous, entry);
        await connection.ExecuteAsync(
            """
            INSERT INTO audit.entries (occurred_at, actor_id, actor_role, action, resource_type, resource_id, subject_id,
                                       outcome, purpose, ip_address, node, details, prev_hash, hash)
            VALUES (@OccurredAt, @ActorId, @ActorRole, @Action, @ResourceType, @ResourceId, @SubjectId,
                    @Outcome, @Purpose, @IpAddress, @Node, CAST(@Details AS jsonb), @PrevHash, @Hash)
            """,
            entry,
            tx);
        await tx.CommitAsync(cancellationToken);
    }
}

/// <summary>A row of the audit trail.</summary>
internal sealed class AuditRow
{
    public long Id { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    public Guid? ActorId { get; set; }

    public string? ActorRole { get; set; }

    public string Action { get; set; } = "";

    public string ResourceType { get; set; } = "";

    public string? ResourceId { get; set; }

    public Guid? SubjectId { get; set; }

    public string Outcome { get; set; } = "";

    public string? Purpose { get; set; }

    public string? IpAddress { get; set; }

    public string? Node { get; set; }

    public string? Details { get; set; }

    public byte[] PrevHash { get; set; } = [];

    public byte[] Hash { get; set; } = [];
}

/// <summary>The chain hash: SHA-256 over the previous hash and the row's canonical JSON.</summary>
internal static class AuditHash
{
    public static byte[] Compute(byte[] previousHash, AuditRow row)
    {
        // Canonical form: fixed field order, UTC timestamp at microsecond precision (what timestamptz keeps).
        var canonical = JsonSerializer.Serialize(new object?[]
        {
            row.OccurredAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture),
            row.ActorId, row.ActorRole, row.Action, row.ResourceType, row.ResourceId, row.SubjectId,
            row.Outcome, row.Purpose, row.IpAddress, row.Node, CanonicalJson(row.Details),
        });
        var bytes = Encoding.UTF8.GetBytes(canonical);
        var buffer = new byte[previousHash.Length + bytes.Length];
        previousHash.CopyTo(buffer, 0);
        bytes.CopyTo(buffer, previousHash.Length);
        return SHA256.HashData(buffer);
    }

    // jsonb normalizes key order and spacing, so hash a normalized form of the details too.
    private static string? CanonicalJson(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        var sorted = document.RootElement.EnumerateObject()
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText()));
        return JsonSerializer.Serialize(sorted.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }
}
