using Microsoft.Extensions.Logging.Abstractions;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.Scheduling;

namespace Telemedicina.IntegrationTests.Scheduling;

/// <summary>A throwaway database with the Scheduling module's schema, for tests of its stores on a real PostgreSQL.</summary>
public abstract class SchedulingDatabaseTest(string database) : ThrowawayDatabaseTest(database)
{
    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await DatabaseMigrator.MigrateAsync(ConnectionString, [SchedulingModule.Migrations], NullLogger.Instance, TestContext.Current.CancellationToken);
    }
}
