using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.Scheduling;

namespace Telemedicina.IntegrationTests.Database;

/// <summary>
/// The silos' pools (<see cref="ConnectionPool.WithDefaults"/>) hand a connection to its next rental without resetting
/// its session, which saves PostgreSQL seven statements per rental. What that means for code, and what still holds.
/// </summary>
public sealed class PooledSessionTests() : ThrowawayDatabaseTest("pooled_session")
{
    private const string Probe = "SELECT current_setting('telemedicina.probe', true)";

    [Fact]
    public async Task ASessionSetting_OutlivesItsRental_SoTheSilosSetOnlyLocal()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = NpgsqlDataSource.Create(ConnectionPool.WithDefaults(ConnectionString));
        var backend = await SetOnOneRentalAsync(db, "SET telemedicina.probe = 'left over'", ct);

        await using var next = await db.OpenConnectionAsync(ct);
        Assert.Equal(backend, await next.ExecuteScalarAsync<int>("SELECT pg_backend_pid()"));
        Assert.Equal("left over", await next.ExecuteScalarAsync<string>(Probe));

        // SET LOCAL ends with its transaction, as every setting the silos make does.
        await using (var tx = await next.BeginTransactionAsync(ct))
        {
            await next.ExecuteAsync("SET LOCAL telemedicina.probe = 'in the transaction'", transaction: tx);
            Assert.Equal("in the transaction", await next.ExecuteScalarAsync<string>(Probe, transaction: tx));
            await tx.CommitAsync(ct);
        }

        Assert.Equal("left over", await next.ExecuteScalarAsync<string>(Probe));
    }

    [Fact]
    public async Task WithTheResetAskedFor_TheNextRentalStartsAFreshSession()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = NpgsqlDataSource.Create(ConnectionPool.WithDefaults(ConnectionString + ";No Reset On Close=false"));
        var backend = await SetOnOneRentalAsync(db, "SET telemedicina.probe = 'left over'", ct);

        await using var next = await db.OpenConnectionAsync(ct);
        Assert.Equal(backend, await next.ExecuteScalarAsync<int>("SELECT pg_backend_pid()"));
        Assert.True(string.IsNullOrEmpty(await next.ExecuteScalarAsync<string>(Probe)));
    }

    [Fact]
    public async Task ATransactionLeftOpen_IsRolledBackWithItsLocks_WhenItsConnectionGoesBack()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = NpgsqlDataSource.Create(ConnectionPool.WithDefaults(ConnectionString));
        await using (var setup = await db.OpenConnectionAsync(ct))
        {
            await setup.ExecuteAsync("CREATE TABLE bookings_probe (id int PRIMARY KEY)");
        }

        int backend;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            backend = await connection.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
            var tx = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync("INSERT INTO bookings_probe VALUES (1); SELECT pg_advisory_xact_lock(42)", transaction: tx);
            // Neither committed nor disposed: a request that failed half-way.
        }

        await using var next = await db.OpenConnectionAsync(ct);
        Assert.Equal(backend, await next.ExecuteScalarAsync<int>("SELECT pg_backend_pid()"));
        Assert.Equal(0, await next.ExecuteScalarAsync<long>("SELECT count(*) FROM bookings_probe"));
        await using var other = new NpgsqlConnection(ConnectionString);
        Assert.True(await other.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_xact_lock(42)"));
    }

    [Fact]
    public async Task Migrations_RunOnConnectionsOfTheirOwn_ThatAreClosedWhenDone()
    {
        var ct = TestContext.Current.CancellationToken;
        // The silo's own connection string: pooled, without reset. A connection of the migrations left in that pool
        // would carry their session (the migration lock, whatever a script sets) into the silo's requests.
        var applicationName = "migrations-probe";
        var silos = ConnectionPool.WithDefaults(ConnectionString + ";Application Name=" + applicationName);

        await DatabaseMigrator.MigrateAsync(silos, [SchedulingModule.Migrations], NullLogger.Instance, ct);

        await using var observer = new NpgsqlConnection(ConnectionString);
        Assert.Equal(1, await observer.ExecuteScalarAsync<int>("SELECT count(*)::int FROM scheduling.schema_versions WHERE scriptname LIKE '%0001_scheduling.sql'"));
        // A closed connection's backend leaves pg_stat_activity once it has exited (milliseconds); a pooled one stays idle
        // for the pool's idle lifetime (5 minutes).
        var left = -1;
        for (var attempt = 0; attempt < 50 && left != 0; attempt++)
        {
            left = await observer.ExecuteScalarAsync<int>(
                "SELECT count(*)::int FROM pg_stat_activity WHERE application_name = @applicationName", new { applicationName });
            if (left != 0)
            {
                await Task.Delay(100, ct);
            }
        }

        Assert.Equal(0, left);
    }

    private static async Task<int> SetOnOneRentalAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(sql);
        return await connection.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
    }
}
