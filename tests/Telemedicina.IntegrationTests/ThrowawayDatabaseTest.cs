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

    /// <summary>The database's connection string, set once <see cref="InitializeAsync"/> has run.</summary>
    protected string ConnectionString { get; private set; } = "";

    public virtual async ValueTask InitializeAsync()
    {
        DapperSetup.Configure();
        _postgres = await PostgresServer.StartAsync();
        ConnectionString = await _postgres.CreateDatabaseAsync(database);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
