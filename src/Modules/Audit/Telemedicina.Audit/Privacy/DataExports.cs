using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Storage;

namespace Telemedicina.Audit.Privacy;

/// <summary>A portability export as stored.</summary>
internal sealed class ExportRow
{
    public Guid Id { get; init; }

    public Guid UserId { get; init; }

    public string Status { get; init; } = "";

    public DateTimeOffset RequestedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public string? FileKey { get; init; }

    public long? SizeBytes { get; init; }
}

/// <summary>
/// Portability exports (LGPD art. 18 V): a request row, a JSON bundle built in the background from
/// every <see cref="IPersonalDataHolder"/>, stored in the file store, deleted after the retention period.
/// Building is claimed in the database, so a request is built once even if several silos try, and a
/// request whose silo died is picked up again by the privacy jobs.
/// </summary>
internal sealed partial class DataExports(
    NpgsqlDataSource db, IEnumerable<IPersonalDataHolder> holders, IFileStore files, IAuditTrail audit,
    IOptions<AuditSettings> settings, TimeProvider clock, ILogger<DataExports> logger)
{
    public const string Format = "telemedicina-export/1";
    private const int MaxAttempts = 3;
    private static readonly TimeSpan StaleClaim = TimeSpan.FromMinutes(5);
    private static readonly JsonSerializerOptions BundleJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private const string Columns = "id, user_id, status, requested_at, completed_at, expires_at, file_key, size_bytes";

    /// <summary>A new request, or the one still open; null when the daily limit is reached.</summary>
    public async Task<ExportRow?> RequestAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // One request at a time per person, also across silos.
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtext('export:' || @userId::text))", new { userId }, tx);
        var open = await connection.QuerySingleOrDefaultAsync<ExportRow>(
            $"SELECT {Columns} FROM audit.exports WHERE user_id = @userId AND status IN ('pending', 'building') ORDER BY requested_at DESC LIMIT 1",
            new { userId }, tx);
        if (open is not null)
        {
            return open;
        }

        var today = await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit.exports WHERE user_id = @userId AND requested_at > @since", new { userId, since = now.AddDays(-1) }, tx);
        if (today >= settings.Value.ExportsPerDay)
        {
            return null;
        }

        var row = new ExportRow { Id = Guid.NewGuid(), UserId = userId, Status = "pending", RequestedAt = now };
        await connection.ExecuteAsync(
            "INSERT INTO audit.exports (id, user_id, status, requested_at) VALUES (@Id, @UserId, @Status, @RequestedAt)", row, tx);
        await tx.CommitAsync(cancellationToken);
        return row;
    }

    /// <summary>
    /// When a person refused for the daily limit may ask again: once the oldest of the requests that count against the
    /// limit is a day old.
    /// </summary>
    public async Task<DateTimeOffset> NextRequestAllowedAtAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var counted = await connection.QuerySingleOrDefaultAsync<DateTimeOffset?>(
            """
            SELECT requested_at FROM audit.exports WHERE user_id = @userId AND requested_at > @since
            ORDER BY requested_at DESC OFFSET @skip LIMIT 1
            """,
            new { userId, since = now.AddDays(-1), skip = Math.Max(0, settings.Value.ExportsPerDay - 1) });
        return counted is { } oldest ? oldest.AddDays(1) : now;
    }

    public async Task<ExportRow?> FindAsync(Guid exportId, Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ExportRow>(
            $"SELECT {Columns} FROM audit.exports WHERE id = @exportId AND user_id = @userId", new { exportId, userId });
    }

    public async Task<IReadOnlyList<ExportRow>> ListAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ExportRow>(
            $"SELECT {Columns} FROM audit.exports WHERE user_id = @userId ORDER BY requested_at DESC LIMIT 20", new { userId })).ToList();
    }

    /// <summary>Builds one export if it is still waiting (or its builder died); safe to call from anywhere, any number of times.</summary>
    public async Task BuildAsync(Guid exportId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        Guid userId;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            var claimed = await connection.QuerySingleOrDefaultAsync<Guid?>(
                """
                UPDATE audit.exports SET status = 'building', claimed_at = @now, attempts = attempts + 1
                WHERE id = @exportId AND attempts < @max AND (status = 'pending' OR (status = 'building' AND claimed_at < @stale))
                RETURNING user_id
                """,
                new { exportId, now, max = MaxAttempts, stale = now - StaleClaim });
            if (claimed is null)
            {
                return;
            }

            userId = claimed.Value;
        }

        try
        {
            var sections = new SortedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var holder in holders)
            {
                sections[holder.Category] = await holder.ExportAsync(userId, cancellationToken);
            }

            var bundle = JsonSerializer.SerializeToUtf8Bytes(
                new { Format, ExportId = exportId, SubjectId = userId, GeneratedAt = clock.GetUtcNow(), Sections = sections }, BundleJson);
            var key = $"exports/{userId:N}/{exportId:N}.json";
            await files.PutAsync(key, new MemoryStream(bundle), "application/json", null, cancellationToken);
            var completed = clock.GetUtcNow();
            await using (var connection = await db.OpenConnectionAsync(cancellationToken))
            {
                await connection.ExecuteAsync(
                    """
                    UPDATE audit.exports SET status = 'ready', completed_at = @completed, expires_at = @expires, file_key = @key, size_bytes = @size, error = NULL
                    WHERE id = @exportId
                    """,
                    new { exportId, completed, expires = completed + settings.Value.ExportRetention, key, size = (long)bundle.Length });
            }

            await audit.RecordAsync(new AuditEvent(AuditActions.Create, "DataExport", exportId.ToString(), null, "system", userId, Purpose: "data-subject-request",
                Details: new Dictionary<string, string> { ["bytes"] = bundle.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) }), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogBuildFailed(logger, exportId, e);
            await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
            await connection.ExecuteAsync(
                "UPDATE audit.exports SET status = CASE WHEN attempts >= @max THEN 'failed' ELSE 'pending' END, error = @error WHERE id = @exportId",
                new { exportId, max = MaxAttempts, error = e.GetType().Name });
        }
    }

    /// <summary>Requests left waiting (their silo died, or the queue was full): built now.</summary>
    public async Task<int> BuildStaleAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        List<Guid> waiting;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            waiting = (await connection.QueryAsync<Guid>(
                """
                SELECT id FROM audit.exports
                WHERE attempts < @max AND ((status = 'pending' AND requested_at < @pendingSince) OR (status = 'building' AND claimed_at < @stale))
                ORDER BY requested_at LIMIT 20
                """,
                new { max = MaxAttempts, pendingSince = now.AddSeconds(-30), stale = now - StaleClaim })).ToList();
        }

        foreach (var id in waiting)
        {
            await BuildAsync(id, cancellationToken);
        }

        return waiting.Count;
    }

    /// <summary>Deletes the files of exports past their retention (or of one person, on erasure) and marks them expired.</summary>
    public async Task<int> ExpireAsync(Guid? userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        List<ExportRow> due;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            due = (await connection.QueryAsync<ExportRow>(
                $"""
                SELECT {Columns} FROM audit.exports
                WHERE status = 'ready' AND ((@userId::uuid IS NULL AND expires_at <= @now) OR user_id = @userId) LIMIT 200
                """,
                new { userId, now })).ToList();
        }

        var expired = 0;
        foreach (var row in due)
        {
            // The row lock makes one instance (silo) delete and audit each export, however many run the job.
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            var claimed = await connection.QuerySingleOrDefaultAsync<ExportRow>(
                $"SELECT {Columns} FROM audit.exports WHERE id = @Id AND status = 'ready' FOR UPDATE SKIP LOCKED", row, tx);
            if (claimed is null)
            {
                continue;
            }

            if (claimed.FileKey is not null)
            {
                await files.DeleteAsync(claimed.FileKey, cancellationToken);
            }

            await connection.ExecuteAsync("UPDATE audit.exports SET status = 'expired', file_key = NULL WHERE id = @Id", row, tx);
            await tx.CommitAsync(cancellationToken);
            await audit.RecordAsync(new AuditEvent(AuditActions.Delete, "DataExport", row.Id.ToString(), null, "system", row.UserId,
                Purpose: userId is null ? "retention" : "erasure"), cancellationToken);
            expired++;
        }

        return expired;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Building export {ExportId} failed; it will be retried")]
    private static partial void LogBuildFailed(ILogger logger, Guid exportId, Exception exception);
}
