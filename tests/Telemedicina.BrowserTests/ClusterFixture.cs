using Telemedicina.Testing;

[assembly: AssemblyFixture(typeof(Telemedicina.BrowserTests.ClusterFixture))]

namespace Telemedicina.BrowserTests;

/// <summary>Two real silos for the browser tests.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private TestCluster? _cluster;
    private TestUser? _admin;

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("Cluster not started.");

    public TestUser Admin => _admin ?? throw new InvalidOperationException("Cluster not started.");

    public async ValueTask InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(silos: 2);
        using var api = _cluster.Api(0);
        _admin = await api.LoginDemoAdminAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
