using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Telemedicina.Host.Health;

/// <summary>Ready only when PostgreSQL answers a query within a short timeout.</summary>
internal sealed class DatabaseHealthCheck(NpgsqlDataSource db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var command = db.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.");
        }
    }
}

/// <summary>
/// Ready only when this silo is Active in cluster membership. Before it is (None, Created, Joining) it is starting, as
/// at every deploy and scale-out: Degraded, which readiness answers with 503 all the same, and which the health-check
/// library logs as a Warning rather than an Error. After it was (shutting down, stopping, dead): Unhealthy.
/// </summary>
internal sealed class SiloActiveHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status switch
        {
            SiloStatus.Active => HealthCheckResult.Healthy(),
            SiloStatus.None or SiloStatus.Created or SiloStatus.Joining => HealthCheckResult.Degraded($"This silo is {status}, not Active yet."),
            _ => HealthCheckResult.Unhealthy($"This silo is {status}, not Active."),
        });
    }
}
