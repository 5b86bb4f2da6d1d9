using Dapper;
using Npgsql;

namespace Telemedicina.Audit.Infrastructure;

/// <summary>The outcome of recomputing the audit chain.</summary>
internal sealed record AuditVerification(bool Valid, long Checked, long? FirstBrokenId, string? Reason);

/// <summary>
/// Recomputes the hash chain of <c>audit.entries</c> from the first row, streaming in id order, and
/// reports the first entry whose stored link or hash does not match what it should be.
/// </summary>
internal sealed class AuditVerifier(NpgsqlDataSource db)
{
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // Read in one snapshot, so rows committed meanwhile by other silos cannot break the walk.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
            """
            SELECT id, occurred_at, actor_id, actor_role, action, resource_type, resource_id, subject_id, outcome,
                   purpose, ip_address, node, details::text AS details, prev_hash, hash
            FROM audit.entries ORDER BY id
            """,
            transaction: tx,
            flags: CommandFlags.None,
            cancellationToken: cancellationToken));

        var expectedPrevious = new byte[32];
        long count = 0;
        foreach (var row in rows)
        {
            count++;
            if (!row.PrevHash.AsSpan().SequenceEqual(expectedPrevious))
            {
                return new AuditVerification(false, count, row.Id, "prev_hash does not link to the previous entry");
            }

            if (!AuditHash.Compute(row.PrevHash, row).AsSpan().SequenceEqual(row.Hash))
            {
                return new AuditVerification(false, count, row.Id, "hash does not match the entry's content");
            }

            expectedPrevious = row.Hash;
        }

        return new AuditVerification(true, count, null, null);
    }
}
