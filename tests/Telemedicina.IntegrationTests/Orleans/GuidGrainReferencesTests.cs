using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Testing;
using GenericHost = Microsoft.Extensions.Hosting.Host;

namespace Telemedicina.IntegrationTests.Orleans;

/// <summary>
/// <see cref="GuidGrainReferences{TGrain}"/> on a real (in-process, localhost) silo with the product's grains: its
/// references are those <c>GetGrain</c> makes, and each reaches its own key's grain.
/// </summary>
public sealed class GuidGrainReferencesTests
{
    [Fact]
    public async Task ItsReferences_AreGetGrains_AndReachEachKeysOwnGrain()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = GenericHost.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.UseOrleans(silo => silo.UseLocalhostClustering(PostgresServer.FreeTcpPort(), PostgresServer.FreeTcpPort()));
        using var host = builder.Build();
        await host.StartAsync(ct);
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var calendars = new GuidGrainReferences<IDoctorCalendarGrain>(grains);
            var (one, two) = (Guid.NewGuid(), Guid.NewGuid());

            var made = (GrainReference)(object)calendars.Get(one);
            var expected = (GrainReference)(object)grains.GetGrain<IDoctorCalendarGrain>(one);
            Assert.Equal(expected.GrainId, made.GrainId);
            Assert.Equal(expected.InterfaceType, made.InterfaceType);
            Assert.NotEqual(made.GrainId, ((GrainReference)(object)calendars.Get(two)).GrainId);

            // The first doctor's calendar holds the start, GetGrain's reference finds it held; the second doctor's is its own.
            var start = DateTimeOffset.UtcNow.AddDays(1);
            Assert.True((await calendars.Get(one).TryHold(start, Guid.NewGuid())).Held);
            Assert.False((await grains.GetGrain<IDoctorCalendarGrain>(one).TryHold(start, Guid.NewGuid())).Held);
            Assert.True((await calendars.Get(two).TryHold(start, Guid.NewGuid())).Held);

            // Fresh instances first used by many threads at once (as a silo's first requests use its own): every
            // reference is a typed one, none made from types half-published by another thread.
            for (var round = 0; round < 100; round++)
            {
                var fresh = new GuidGrainReferences<IDoctorCalendarGrain>(grains);
                using var go = new ManualResetEventSlim();
                var threads = Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(
                    () =>
                    {
                        go.Wait(ct);
                        return Enumerable.Range(0, 20).Select(_ => fresh.Get(one)).ToList();
                    },
                    ct, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
                go.Set();
                foreach (var references in await Task.WhenAll(threads))
                {
                    Assert.All(references, m => Assert.Equal(expected.GrainId, ((GrainReference)(object)m).GrainId));
                }
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
