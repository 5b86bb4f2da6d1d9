using Telemedicina.Testing;

[assembly: AssemblyFixture(typeof(Telemedicina.ClusterTests.ClusterFixture))]

namespace Telemedicina.ClusterTests;

/// <summary>Two real silos on a throwaway PostgreSQL, shared by the tests that do not break the cluster.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly TimeSpan RingTimeout = TimeSpan.FromSeconds(20);

    public const string AssetsBaseUrl = "https://cdn.telemedicina.invalid/app/";

    private TestCluster? _cluster;
    private TestUser? _admin;

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("Cluster not started.");

    /// <summary>The demo admin, logged in once (TOTP codes are single-use).</summary>
    public TestUser Admin => _admin ?? throw new InvalidOperationException("Cluster not started.");

    public async ValueTask InitializeAsync()
    {
        // A short ring so the missed-call test does not wait a minute; long enough for the others to accept.
        // A CDN for the UI bundles, as in AWS (the CSP must allow it; no test here loads the bundles).
        // Bookings decided on a silo's read of the schedule for a minute rather than two seconds, while the doctor's
        // calendar announces no change: a change that is not announced fails the tests that follow it, at any speed.
        _cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string>
        {
            ["Calls__RingTimeout"] = RingTimeout.ToString(),
            ["Web__AssetsBaseUrl"] = AssetsBaseUrl,
            ["Scheduling__RecentReadsFor"] = "00:01:00",
        });
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
