using Dapper;
using Npgsql;
using Telemedicina.Audit.Privacy;

namespace Telemedicina.Audit.Infrastructure;

/// <summary>The outcome of recomputing the audit chain.</summary>
internal sealed record AuditVerification(bool Valid, long Checked, long? FirstBrokenId, string? Reason);

/// <summary>
/// Recomputes the hash chain of <c>audit.entries</c> from the first row, streaming in id order, and
/// reports the first entry whose stored link or hash does not match what it should be; then checks
/// the chain against the newest signed checkpoint in the file store (cut-off tail, wholesale rewrite).
/// </summary>
internal sealed class AuditVerifier(NpgsqlDataSource db, AuditCheckpoints checkpoints)
{
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        // The newest checkpoint first, then the snapshot of the entries: a checkpoint is written after the entries it
        // covers are committed, so the snapshot holds them all. Read the other way round, a checkpoint written between
        // the two covered entries the snapshot did not see, and a sound chain was reported as cut short.
        var latest = await checkpoints.LatestAsync(cancellationToken);
        if (latest is { SignatureValid: false })
        {
            return new AuditVerification(false, 0, latest.Value.Checkpoint.LastEntryId, "the newest checkpoint's signature is invalid");
        }

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

        var checkpoint = latest?.Checkpoint;
        var expectedPrevious = new byte[32];
        long count = 0;
        long lastId = 0;
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

            if (checkpoint is not null && row.Id == checkpoint.LastEntryId && !Convert.ToHexString(row.Hash).Equals(checkpoint.LastHash, StringComparison.Ordinal))
            {
                return new AuditVerification(false, count, row.Id, "the chain differs from the signed checkpoint at this entry (rewritten)");
            }

            expectedPrevious = row.Hash;
            lastId = row.Id;
        }

        if (checkpoint is not null && (lastId < checkpoint.LastEntryId || count < checkpoint.EntryCount))
        {
            return new AuditVerification(false, count, lastId + 1, $"entries up to {checkpoint.LastEntryId} are missing (the signed checkpoint counted {checkpoint.EntryCount})");
        }

        return new AuditVerification(true, count, null, null);
    }
}
