using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Health;

/// <summary>
/// A graceful stop (SIGTERM, as a deploy or a scale-in does it) with clients that reconnect at once, as the web
/// client's first retry does and as a load balancer that still routes to the stopping silo makes them: SignalR
/// closes the silo's connections when the host starts stopping, and a reconnect that reached the silo before Kestrel
/// unbound its listener was never closed. Kestrel's drain then waited for it until the host's shutdown timeout, and
/// Orleans (stopped after the web host) handed the rooms over only then: about 33 s in the browser test.
/// </summary>
public sealed class GracefulStopTests
{
    [Fact]
    public async Task SigTerm_WithClientsReconnectingToTheStoppingSilo_RefusesThemWith503_AndTheSiloExitsWithoutWaitingOutItsShutdownTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2);
        var stopping = cluster.Silos[0];
        using var api = cluster.Api(0);
        var patient = await Scenario.ConsentingPatientAsync(api);

        // Eight clients hold a connection to the silo and, whenever it closes, connect to the same silo again at once.
        var refused503 = 0;
        var refusedOther = 0;
        var openedAfterStop = 0;
        long stopAt = 0;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var connected = new CountdownEvent(8);
        var clients = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var first = true;
            while (!done.IsCancellationRequested)
            {
                try
                {
                    await using var hub = await HubClient.ConnectAsync(stopping.BaseUrl, () => patient.AccessToken);
                    if (Interlocked.Read(ref stopAt) != 0)
                    {
                        Interlocked.Increment(ref openedAfterStop);
                    }

                    if (first)
                    {
                        first = false;
                        connected.Signal();
                    }

                    while (hub.Connection.State == HubConnectionState.Connected && !done.IsCancellationRequested)
                    {
                        await Task.Delay(20, CancellationToken.None);
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The WebSocket upgrade answered 503 (the gate), or the listener is gone (connection refused).
                    if (e.ToString().Contains("503", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref refused503);
                    }
                    else
                    {
                        Interlocked.Increment(ref refusedOther);
                    }

                    await Task.Delay(5, CancellationToken.None);
                }
            }
        }, CancellationToken.None)).ToList();
        Assert.True(connected.Wait(TimeSpan.FromSeconds(60), ct), "the clients did not connect");

        var clock = Stopwatch.StartNew();
        Interlocked.Exchange(ref stopAt, Stopwatch.GetTimestamp());
        await stopping.StopAsync(TimeSpan.FromSeconds(90));
        var exitedAfter = clock.Elapsed;
        await done.CancelAsync();
        await Task.WhenAll(clients);

        // Exited by itself (0), well inside the host's 45 s shutdown timeout: a silo with no client exits in 1–3 s here.
        Assert.Equal(0, stopping.ExitCode);
        Assert.True(exitedAfter < TimeSpan.FromSeconds(20),
            $"the silo took {exitedAfter.TotalSeconds:0.0} s to stop: a connection opened while it was stopping held its drain "
            + $"({openedAfterStop} opened after SIGTERM, {refused503} refused with 503, {refusedOther} failed otherwise)");
        Assert.True(refused503 + refusedOther > 0, "no reconnect attempt reached the stopping silo: the test did not exercise the drain");
        Figures.Report(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"graceful stop with 8 clients reconnecting to the stopping silo at once: exited after {exitedAfter.TotalSeconds:0.0} s; {refused503} attempts refused with 503, {refusedOther} refused by the closed listener, {openedAfterStop} opened after SIGTERM"));
    }
}
