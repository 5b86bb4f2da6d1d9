using Dapper;
using Npgsql;
using Telemedicina.BuildingBlocks.Database;

namespace Telemedicina.IntegrationTests.Database;

/// <summary>
/// The silos' connections (<see cref="ConnectionPool.WithDefaults"/>) prepare the statements they run often on the
/// server, keep them across pool rentals, and survive the schema changes a rolling deployment's migration makes.
/// </summary>
public sealed class PreparedStatementsTests() : ThrowawayDatabaseTest("prepared_statements")
{
    private const string Lookup = "SELECT id, name FROM patients_probe WHERE id = @id";

    private const string PreparedLookups = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM patients_probe%'";

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.ExecuteAsync("CREATE TABLE patients_probe (id int PRIMARY KEY, name text NOT NULL); INSERT INTO patients_probe VALUES (1, 'Ana'), (2, 'Bia')");
    }

    [Fact]
    public async Task AStatementRunOften_IsPreparedOnTheServer_AndStaysPreparedForTheNextRental()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = NpgsqlDataSource.Create(ConnectionPool.WithDefaults(ConnectionString));
        int backend;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            backend = await connection.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
            await RunLookupsAsync(connection, times: 6);
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>(PreparedLookups));
        }

        await using (var again = await db.OpenConnectionAsync(ct))
        {
            Assert.Equal(backend, await again.ExecuteScalarAsync<int>("SELECT pg_backend_pid()"));
            Assert.Equal(1, await again.ExecuteScalarAsync<long>(PreparedLookups));
            Assert.Equal("Bia", (await again.QuerySingleAsync<(int Id, string Name)>(Lookup, new { id = 2 })).Name);
        }
    }

    [Fact]
    public async Task AnExplicitZeroInTheConnectionString_PreparesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = NpgsqlDataSource.Create(ConnectionPool.WithDefaults(ConnectionString + ";Max Auto Prepare=0"));
        await using var connection = await db.OpenConnectionAsync(ct);

        await RunLookupsAsync(connection, times: 6);

        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(PreparedLookups));
    }

    [Fact]
    public async Task AColumnAddedByAnotherConnection_DoesNotBreakAPreparedStatement()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = NpgsqlDataSource.Create(ConnectionPool.WithDefaults(ConnectionString));
        await using var connection = await PrepareThenMigrateAsync(db, "ALTER TABLE patients_probe ADD COLUMN phone text; CREATE INDEX ON patients_probe (name)", ct);

        Assert.Equal("Ana", (await connection.QuerySingleAsync<(int Id, string Name)>(Lookup, new { id = 1 })).Name);
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(PreparedLookups));
    }

    [Fact]
    public async Task AColumnWhoseTypeChanges_FailsOnceOnAConnectionThatPreparedIt_ThenWorksAgain()
    {
        // Why migrations stay expand-then-contract (ADR 0007): a changed type (not an added column) reaches a
        // prepared statement of a running silo once per connection; Npgsql then prepares it again.
        var ct = TestContext.Current.CancellationToken;
        await using var db = NpgsqlDataSource.Create(ConnectionPool.WithDefaults(ConnectionString));
        await using var connection = await PrepareThenMigrateAsync(db, "ALTER TABLE patients_probe ALTER COLUMN name TYPE varchar(40)", ct);

        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.QuerySingleAsync<(int Id, string Name)>(Lookup, new { id = 1 }));
        Assert.Equal(PostgresErrorCodes.FeatureNotSupported, error.SqlState);
        await RunLookupsAsync(connection, times: 6);
    }

    // A silo's connection with the lookup prepared, after a newer silo's migration ran while it served requests.
    private async Task<NpgsqlConnection> PrepareThenMigrateAsync(NpgsqlDataSource db, string migration, CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        await RunLookupsAsync(connection, times: 6);
        await using var other = new NpgsqlConnection(ConnectionString);
        await other.ExecuteAsync(migration);
        return connection;
    }

    private static async Task RunLookupsAsync(NpgsqlConnection connection, int times)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.Equal("Ana", (await connection.QuerySingleAsync<(int Id, string Name)>(Lookup, new { id = 1 })).Name);
        }
    }
}
