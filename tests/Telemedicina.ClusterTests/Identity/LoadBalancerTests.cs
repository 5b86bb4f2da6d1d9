using System.Net;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Identity;

/// <summary>No affinity anywhere: a token works through a round-robin balancer whichever silo answers.</summary>
public sealed class LoadBalancerTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Token_ThroughRoundRobinLoadBalancer_WorksOnEverySilo()
    {
        await using var lb = await TestLoadBalancer.StartAsync(fixture.Cluster.Silos.Take(2));
        using var api = new TelemedicinaApi(lb.BaseUrl, fixture.Cluster.Outbox);
        var patient = await api.RegisterPatientAsync();
        var servedBy = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 8; i++)
        {
            using var me = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: patient.AccessToken);
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            servedBy.Add(me.Headers.GetValues("X-Silo").Single());
        }

        Assert.Equal(2, servedBy.Count);
        var refreshed = await api.SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = patient.RefreshToken }, null);
        Assert.False(string.IsNullOrEmpty(refreshed.AccessToken));
    }
}
