using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Telemedicina.Audit;
using Telemedicina.Audit.Privacy;
using Telemedicina.BuildingBlocks.Database;

namespace Telemedicina.IntegrationTests.Audit;

/// <summary>
/// The hourly audit checkpoint, and the total of the admins' unfiltered audit search, count the entries since the last
/// checkpoint, not the whole trail: the trail is kept at least five years and only grows. (A database of its own: the
/// rows here are not a valid hash chain.)
/// </summary>
public sealed class CheckpointCountTests() : ThrowawayDatabaseTest("checkpoint_count")
{
    [Fact]
    public async Task ACheckpointAndTheTrailsTotal_CountOnlyTheEntriesSinceTheLastCheckpoint()
    {
        var ct = TestContext.Current.CancellationToken;
        await DatabaseMigrator.MigrateAsync(ConnectionString, [AuditModule.Migrations], NullLogger.Instance, ct);
        await using var db = new NpgsqlConnection(ConnectionString);
        await db.OpenAsync(ct);

        // A trail of 50,000 entries, the last checkpoint at 49,000: the next one reads the 1,000 after it.
        await db.ExecuteAsync(
            """
            INSERT INTO audit.entries (occurred_at, action, resource_type, outcome, prev_hash, hash)
            SELECT now(), 'read', 'Appointment', 'success', sha256(int8send(i - 1)), sha256(int8send(i)) FROM generate_series(1, 50000) i
            """);
        await db.ExecuteAsync("VACUUM ANALYZE audit.entries");
        var plan = await QueryPlan.AnalyzeAsync(db, AuditCheckpoints.CountSinceSql, new { after = 49_000L, id = 50_000L }, ct);
        var read = QueryPlan.RowsRead(plan, "entries");
        Assert.True(read <= 1_000, $"The checkpoint's count read {read} entries for the 1,000 since the last one:\n{plan}");
        Assert.Equal(1_000, await db.ExecuteScalarAsync<long>(AuditCheckpoints.CountSinceSql, new { after = 49_000L, id = 50_000L }));

        // Before any checkpoint the trail's total is every entry; then the last checkpoint's count plus the entries after it.
        Assert.Equal(50_000, await db.ExecuteScalarAsync<long>(AuditCheckpoints.TrailCountSql));
        await db.ExecuteAsync(
            """
            INSERT INTO audit.checkpoints (last_entry_id, last_hash, entry_count, created_at, file_key, signature)
            VALUES (30000, '\x00', 30000, now(), 'a', '\x00'), (49000, '\x00', 49000, now(), 'b', '\x00')
            """);
        var totalPlan = await QueryPlan.AnalyzeAsync(db, AuditCheckpoints.TrailCountSql, new { }, ct);
        var totalRead = QueryPlan.RowsRead(totalPlan, "entries");
        Assert.True(totalRead <= 1_000, $"The trail's total read {totalRead} entries for the 1,000 since the last checkpoint:\n{totalPlan}");
        Assert.Equal(50_000, await db.ExecuteScalarAsync<long>(AuditCheckpoints.TrailCountSql));
    }
}
