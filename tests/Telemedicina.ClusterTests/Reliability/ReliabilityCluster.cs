using System.Net;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Reliability;

[CollectionDefinition(Name)]
public sealed class ReliabilityGroup : ICollectionFixture<ReliabilityCluster>
{
    public const string Name = "Reliability";
}

/// <summary>
/// A 2-silo cluster of its own for the bad-input suites: they lock, refuse and flood on purpose,
/// so nothing they do may reach the tests that share <see cref="ClusterFixture"/>, and the silo
/// logs they scan hold only their own traffic.
/// </summary>
public sealed class ReliabilityCluster : IAsyncLifetime
{
    private TestCluster? _cluster;
    private TestUser? _admin;

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("Cluster not started.");

    public TestUser Admin => _admin ?? throw new InvalidOperationException("Cluster not started.");

    /// <summary>TELEMEDICINA_HEAVY=1 runs the large corpora.</summary>
    public static bool Heavy => Environment.GetEnvironmentVariable("TELEMEDICINA_HEAVY") == "1";

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

    /// <summary>Where each silo's log ends now, to read only what comes after.</summary>
    public long[] LogMarks() => Cluster.LogMarks();

    /// <summary>Error and critical log entries written since <paramref name="marks"/>, as "silo: category: message".</summary>
    public List<string> ErrorsSince(long[] marks) => Cluster.ErrorsSince(marks);

    /// <summary>Every silo process is running and answers /health/ready with 200.</summary>
    public async Task AssertAllReadyAsync()
    {
        foreach (var silo in Cluster.Silos)
        {
            Assert.False(silo.HasExited, $"{silo.Name} exited:\n{silo.Tail()}");
            using var http = new HttpClient { BaseAddress = silo.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
            using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{silo.Name} /health/ready: {(int)ready.StatusCode} {await ready.Content.ReadAsStringAsync()}");
        }
    }
}
