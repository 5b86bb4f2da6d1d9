using Npgsql;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.Identity;

namespace Telemedicina.Host.Composition;

/// <summary>
/// Applies migrations as the very first step of the silo lifecycle, before membership touches
/// its tables. If PostgreSQL is not reachable yet it keeps retrying (the process stays up and
/// <c>/health/ready</c> answers 503) instead of crashing.
/// </summary>
internal sealed partial class MigrationParticipant(IServiceProvider services, IConfiguration configuration, ILogger<MigrationParticipant> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(MigrationParticipant), ServiceLifecycleStage.First, RunAsync);

    public static Task MigrateOnceAsync(IServiceProvider services, string connectionString, ILogger logger, CancellationToken cancellationToken) =>
        DatabaseMigrator.MigrateAsync(connectionString, ModuleRegistry.Migrations, logger, cancellationToken,
            ct => IdentityModule.InitializeAsync(services, ct));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue($"{OrleansSettings.Section}:{nameof(OrleansSettings.MigrateOnStartup)}", true))
        {
            return;
        }

        var connectionString = HostComposition.ConnectionString(configuration);
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await MigrateOnceAsync(services, connectionString, logger, cancellationToken);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException || e.InnerException is NpgsqlException)
            {
                LogWaiting(logger, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromSeconds(Math.Min(10, delay.TotalSeconds * 2));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database not ready ({Reason}); retrying migrations in {Seconds} s")]
    private static partial void LogWaiting(ILogger logger, string reason, double seconds);
}
