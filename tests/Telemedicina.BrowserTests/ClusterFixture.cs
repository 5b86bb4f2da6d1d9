using Telemedicina.Testing;

[assembly: AssemblyFixture(typeof(Telemedicina.BrowserTests.ClusterFixture))]

namespace Telemedicina.BrowserTests;

/// <summary>Two real silos and a real coturn for the browser tests; the silos hand out TURN credentials for it.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private TestCluster? _cluster;
    private TestUser? _admin;
    private TurnServer? _turn;

    public TurnServer Turn => _turn ?? throw new InvalidOperationException("Cluster not started.");

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("Cluster not started.");

    public TestUser Admin => _admin ?? throw new InvalidOperationException("Cluster not started.");

    public async ValueTask InitializeAsync()
    {
        _turn = await TurnServer.StartAsync();
        _cluster = await TestCluster.StartAsync(silos: 2, _turn.SiloEnvironment);
        using var api = _cluster.Api(0);
        _admin = await api.LoginDemoAdminAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (_turn is not null)
        {
            await _turn.DisposeAsync();
        }
    }
}
