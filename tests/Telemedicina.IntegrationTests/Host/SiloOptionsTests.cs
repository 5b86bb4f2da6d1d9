using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Telemedicina.Host.Composition;

namespace Telemedicina.IntegrationTests.Host;

/// <summary>The Orleans options of the silo the host composes (built, never started), by default and configured.</summary>
public sealed class SiloOptionsTests
{
    /// <summary>
    /// 100,000 addresses of other silos' grains, not Orleans' million: a dictionary made that large at start, which the
    /// dashboard's metrics walk every second.
    /// </summary>
    [Fact]
    public async Task TheComposedSilo_CachesAHundredThousandGrainAddresses_UnlessConfiguredOtherwise()
    {
        Assert.Equal(100_000, (await OptionsAsync<GrainDirectoryOptions>([])).CacheSize);
        Assert.True(new GrainDirectoryOptions().CacheSize > HostComposition.DirectoryCacheSize, "Orleans' own default is larger.");
        Assert.Equal(250_000, (await OptionsAsync<GrainDirectoryOptions>(new() { ["Orleans:DirectoryCache:CacheSize"] = "250000" })).CacheSize);
    }

    /// <summary>
    /// A crashed silo is voted dead after two missed probes, not Orleans' three: one probe period sooner. That is safe
    /// only while Orleans does not vote against a silo whose messages still arrive (its connection liveness check).
    /// </summary>
    [Fact]
    public async Task TheComposedSilo_VotesACrashedSiloDeadAfterTwoMissedProbes_UnlessConfiguredOtherwise()
    {
        var membership = await OptionsAsync<ClusterMembershipOptions>([]);
        Assert.Equal(2, membership.NumMissedProbesLimit);
        Assert.True(new ClusterMembershipOptions().NumMissedProbesLimit > membership.NumMissedProbesLimit, "Orleans' own default is larger.");
        Assert.True(membership.EnableIndirectProbes, "The second miss is a third silo's (indirect probe).");
        Assert.True(membership.EnableConnectionLivenessCheck, "A silo whose messages arrive is not voted dead.");
        Assert.Equal(TimeSpan.FromSeconds(2), membership.ProbeTimeout);

        var configured = await OptionsAsync<ClusterMembershipOptions>(new() { ["Orleans:NumMissedProbesLimit"] = "3", ["Orleans:ProbeTimeout"] = "00:00:05" });
        Assert.Equal(3, configured.NumMissedProbesLimit);
        Assert.Equal(TimeSpan.FromSeconds(5), configured.ProbeTimeout);
    }

    private static async Task<T> OptionsAsync<T>(Dictionary<string, string?> settings)
        where T : class
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            // Composed, never started: nothing connects.
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=none;Username=none",
        });
        builder.AddTelemedicina();
        await using var app = builder.Build();
        return app.Services.GetRequiredService<IOptions<T>>().Value;
    }
}
