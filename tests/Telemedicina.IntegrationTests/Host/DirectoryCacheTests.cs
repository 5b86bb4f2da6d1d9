using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Telemedicina.Host.Composition;

namespace Telemedicina.IntegrationTests.Host;

/// <summary>
/// The silo the host composes remembers the addresses of 100,000 grains of other silos, not Orleans' million (a
/// dictionary made that large at start, which the dashboard's metrics walk every second), unless configured otherwise.
/// </summary>
public sealed class DirectoryCacheTests
{
    [Fact]
    public async Task TheComposedSilo_CachesAHundredThousandGrainAddresses_UnlessConfiguredOtherwise()
    {
        Assert.Equal(100_000, await CacheSizeAsync([]));
        Assert.True(new GrainDirectoryOptions().CacheSize > HostComposition.DirectoryCacheSize, "Orleans' own default is larger.");
        Assert.Equal(250_000, await CacheSizeAsync(new() { ["Orleans:DirectoryCache:CacheSize"] = "250000" }));
    }

    private static async Task<int> CacheSizeAsync(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            // Composed, never started: nothing connects.
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=none;Username=none",
        });
        builder.AddTelemedicina();
        await using var app = builder.Build();
        return app.Services.GetRequiredService<IOptions<GrainDirectoryOptions>>().Value.CacheSize;
    }
}
