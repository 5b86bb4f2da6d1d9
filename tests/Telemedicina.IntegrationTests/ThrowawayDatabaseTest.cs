using Npgsql;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.Testing;

namespace Telemedicina.IntegrationTests;

/// <summary>
/// A test class with a PostgreSQL server of its own (a throwaway cluster) and one database in it, started before the
/// class's tests and removed after them. Subclasses add what else they own in <see cref="InitializeAsync"/> and
/// <see cref="DisposeAsync"/>, calling the base.
/// </summary>
public abstract class ThrowawayDatabaseTest(string database) : IAsyncLifetime
{
    private PostgresServer? _postgres;
    private NpgsqlDataSource? _db;

    /// <summary>The database's connection string, set once <see cref="InitializeAsync"/> has run.</summary>
    protected string ConnectionString { get; private set; } = "";

    /// <summary>A data source on the database with Npgsql's defaults, created on first use and disposed with the class.</summary>
    protected NpgsqlDataSource Db => _db ??= NpgsqlDataSource.Create(ConnectionString);

    public virtual async ValueTask InitializeAsync()
    {
        DapperSetup.Configure();
        _postgres = await PostgresServer.StartAsync();
        ConnectionString = await _postgres.CreateDatabaseAsync(database);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
