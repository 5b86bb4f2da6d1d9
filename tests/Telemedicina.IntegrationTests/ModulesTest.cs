using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Telemedicina.Audit;
using Telemedicina.BuildingBlocks;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.BuildingBlocks.Email;
using Telemedicina.BuildingBlocks.Storage;
using Telemedicina.Identity;
using Telemedicina.Scheduling;

namespace Telemedicina.IntegrationTests;

/// <summary>
/// A throwaway database and the modules' services as a silo composes them (Audit, Identity, Scheduling; no host, no
/// Orleans), with the clock of the test and a file store and e-mail outbox in temporary folders of the class.
/// Build it twice for two silos.
/// </summary>
public abstract class ModulesTest(string database) : ThrowawayDatabaseTest(database)
{
    private readonly string _files = Directory.CreateTempSubdirectory(database + "-files-").FullName;
    private readonly string _outbox = Directory.CreateTempSubdirectory(database + "-outbox-").FullName;
    private readonly List<ServiceProvider> _built = [];

    public override async ValueTask DisposeAsync()
    {
        foreach (var services in _built)
        {
            await services.DisposeAsync();
        }

        await base.DisposeAsync();
        Directory.Delete(_files, recursive: true);
        Directory.Delete(_outbox, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Two instances as on two silos, on the database migrated as a silo migrates it.</summary>
    protected async Task<(ServiceProvider One, ServiceProvider Two)> TwoSilosAsync(TimeProvider clock, CancellationToken cancellationToken)
    {
        var one = Build(clock);
        var two = Build(clock);
        _built.Add(one);
        _built.Add(two);
        await DatabaseMigrator.MigrateAsync(ConnectionString, [AuditModule.Migrations, IdentityModule.Migrations, SchedulingModule.Migrations],
            NullLogger.Instance, cancellationToken, c => IdentityModule.InitializeAsync(one, c));
        return (one, two);
    }

    protected ServiceProvider Build(TimeProvider clock, Dictionary<string, string?>? configuration = null, Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ConnectionString,
            ["Email:OutboxDirectory"] = _outbox,
            ["Storage:FileSystem:Root"] = _files,
        });
        builder.Configuration.AddInMemoryCollection(configuration ?? []);
        builder.Services.AddLogging();
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(new NodeInfo("test"));
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(ConnectionString));
        builder.Services.AddEmail(builder.Configuration);
        builder.Services.AddFileStore(builder.Configuration);
        builder.AddAuditModule();
        builder.AddIdentityModule();
        builder.AddSchedulingModule();
        services?.Invoke(builder.Services);
        return builder.Services.BuildServiceProvider();
    }
}
