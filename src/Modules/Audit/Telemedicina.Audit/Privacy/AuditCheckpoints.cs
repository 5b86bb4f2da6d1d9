using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Storage;

namespace Telemedicina.Audit.Privacy;

/// <summary>A signed statement "the chain had this many entries and this last hash at this time".</summary>
internal sealed record AuditCheckpoint(long LastEntryId, string LastHash, long EntryCount, DateTimeOffset CreatedAt, string Signature)
{
    public string SignedText => string.Create(CultureInfo.InvariantCulture, $"{LastEntryId}|{LastHash}|{EntryCount}|{CreatedAt.ToUniversalTime():O}");
}

/// <summary>
/// Signed checkpoints of the audit chain, written to the file store as write-once files (S3 Object
/// Lock in production) and to <c>audit.checkpoints</c>. The chain alone cannot reveal that its newest
/// entries were cut off, or that someone with database access rewrote it whole and recomputed every
/// hash; a checkpoint outside the database, signed with a key the database does not hold, can.
/// </summary>
internal sealed partial class AuditCheckpoints(
    NpgsqlDataSource db, [FromKeyedServices(StorageRegistration.AuditCheckpoints)] IFileStore files, IAuditTrail audit, IOptions<AuditSettings> settings, TimeProvider clock, ILogger<AuditCheckpoints> logger)
{
    public const string Prefix = "audit-checkpoints/";

    /// <summary>
    /// The entries since the last checkpoint, up to the head: a checkpoint's count is the last one's plus these. It
    /// counted the whole trail every hour, and the trail is kept at least five years and only grows. Entries are
    /// appended one writer at a time under the chain lock and never deleted, so none can appear at or below a head
    /// already read; if rows below the last checkpoint were removed, the verifier still expects the signed count.
    /// </summary>
    internal const string CountSinceSql = "SELECT count(*) FROM audit.entries WHERE id > @after AND id <= @id";

    /// <summary>
    /// How many entries the trail holds now: the last checkpoint's count plus the entries after it (every entry before
    /// the first checkpoint). For the same reason as <see cref="CountSinceSql"/>, this is the count of the whole trail.
    /// </summary>
    internal const string TrailCountSql =
        """
        SELECT coalesce(c.entry_count, 0) + (SELECT count(*) FROM audit.entries WHERE id > coalesce(c.last_entry_id, 0))
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (SELECT last_entry_id, entry_count FROM audit.checkpoints ORDER BY id DESC LIMIT 1) AS c ON true
        """;
    private byte[]? _key;

    /// <summary>Writes a checkpoint when there are entries since the last one and it is due (or <paramref name="force"/>); returns it, or null.</summary>
    public async Task<AuditCheckpoint?> WriteAsync(bool force, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var key = await KeyAsync(cancellationToken);
        AuditCheckpoint checkpoint;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtext('audit-checkpoint'))", transaction: tx);
            var last = await connection.QuerySingleOrDefaultAsync<LastRow>(
                "SELECT last_entry_id, entry_count, created_at FROM audit.checkpoints ORDER BY id DESC LIMIT 1", transaction: tx);
            var head = await connection.QuerySingleOrDefaultAsync<HeadRow>(
                "SELECT id, hash FROM audit.entries ORDER BY id DESC LIMIT 1", transaction: tx);
            if (head is null || (last is not null && (last.LastEntryId == head.Id || (!force && last.CreatedAt > now - settings.Value.CheckpointInterval))))
            {
                return null;
            }

            var count = (last?.EntryCount ?? 0)
                + await connection.ExecuteScalarAsync<long>(CountSinceSql, new { after = last?.LastEntryId ?? 0, id = head.Id }, tx);
            var unsigned = new AuditCheckpoint(head.Id, Convert.ToHexString(head.Hash), count, now, "");
            checkpoint = unsigned with { Signature = Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(unsigned.SignedText))) };
            var fileKey = FileKey(checkpoint.LastEntryId);
            await files.PutAsync(fileKey, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(checkpoint, JsonSerializerOptions.Web)), "application/json",
                new FilePutOptions(now.AddYears(settings.Value.AuditRetentionYears)), cancellationToken);
            await connection.ExecuteAsync(
                """
                INSERT INTO audit.checkpoints (last_entry_id, last_hash, entry_count, created_at, file_key, signature)
                VALUES (@LastEntryId, @hash, @EntryCount, @CreatedAt, @fileKey, @signature)
                """,
                new { checkpoint.LastEntryId, hash = head.Hash, checkpoint.EntryCount, checkpoint.CreatedAt, fileKey, signature = Convert.FromHexString(checkpoint.Signature) },
                tx);
            await tx.CommitAsync(cancellationToken);
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Execute, "AuditCheckpoint", checkpoint.LastEntryId.ToString(CultureInfo.InvariantCulture), null, "system", null,
            Purpose: "audit"), cancellationToken);
        return checkpoint;
    }

    /// <summary>The newest checkpoint in the file store and whether its signature holds; null when there is none.</summary>
    public async Task<(AuditCheckpoint Checkpoint, bool SignatureValid)?> LatestAsync(CancellationToken cancellationToken)
    {
        var keys = await files.ListAsync(Prefix, cancellationToken);
        if (keys.Count == 0)
        {
            return null;
        }

        await using var file = await files.OpenReadAsync(keys[^1], cancellationToken);
        AuditCheckpoint? checkpoint = null;
        try
        {
            checkpoint = file is null ? null : await JsonSerializer.DeserializeAsync<AuditCheckpoint>(file.Content, JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException)
        {
            // An unreadable checkpoint is reported as an invalid one below.
        }

        if (checkpoint is null)
        {
            return (new AuditCheckpoint(0, "", 0, default, ""), false);
        }

        var expected = HMACSHA256.HashData(await KeyAsync(cancellationToken), Encoding.UTF8.GetBytes(checkpoint.SignedText));
        var valid = checkpoint.Signature.Length == expected.Length * 2
            && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(checkpoint.Signature), expected);
        return (checkpoint, valid);
    }

    // Zero-padded so that the ordinal order of keys is the order of the chain.
    private static string FileKey(long lastEntryId) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{lastEntryId:D15}.json");

    private async Task<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is not null)
        {
            return _key;
        }

        if (!string.IsNullOrEmpty(settings.Value.CheckpointKey))
        {
            return _key = Convert.FromBase64String(settings.Value.CheckpointKey);
        }

        LogGeneratedKey(logger);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("INSERT INTO audit.checkpoint_key (id, key) VALUES (1, @key) ON CONFLICT (id) DO NOTHING", new { key = RandomNumberGenerator.GetBytes(32) });
        return _key = await connection.QuerySingleAsync<byte[]>("SELECT key FROM audit.checkpoint_key WHERE id = 1");
    }

    private sealed record LastRow(long LastEntryId, long EntryCount, DateTimeOffset CreatedAt);

    private sealed record HeadRow(long Id, byte[] Hash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Privacy:CheckpointKey is not set: audit checkpoints are signed with a key kept in the database, which does not protect against someone with database access. Set it from a secret in production.")]
    private static partial void LogGeneratedKey(ILogger logger);
}
