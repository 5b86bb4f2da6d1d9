using System.Text.Json;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Health;

/// <summary>
/// Starting silos is routine (every deploy, every scale-out): it must not log an Error or Critical entry, or an
/// operator learns to ignore them. The Orleans dashboard's start sent its grain a one-way message before the silo had
/// joined, and Orleans logged "Failed to address message" at about half of the silo starts (at all three here).
/// </summary>
public sealed class SiloStartLogTests
{
    [Fact]
    public async Task StartingThreeSilos_LogsNoErrorOrCriticalEntry()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 3);

        // A one-way message that cannot be addressed is logged shortly after it was sent.
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        // Readiness answers 503 before the silo is Active (the harness asks from the start, as a load balancer does),
        // but as Degraded: starting is routine, and the health-check library logs every Unhealthy answer at Error.
        var errors = cluster.ErrorsSince([]);
        Assert.True(errors.Count == 0, "Silo starts logged errors:\n" + string.Join('\n', errors));

        // The dashboard, started once its silo was active, still counts the cluster.
        using var api = cluster.Api(2);
        var admin = await api.LoginDemoAdminAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var hosts = 0;
        while (hosts != 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            using var response = await api.SendAsync(HttpMethod.Get, "/ops/dashboard/DashboardCounters", token: admin.AccessToken);
            if (response.IsSuccessStatusCode)
            {
                using var counters = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                hosts = counters.RootElement.GetProperty("totalActiveHostCount").GetInt32();
            }
        }

        Assert.Equal(3, hosts);
    }
}
