using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Faults;

/// <summary>
/// Graceful scale-out then scale-in while calls signal and patients book: a third silo joins and takes work
/// (bookings, new calls), then one of the original silos gets SIGTERM, as an auto-scaling group or a deploy
/// does after the load balancer stopped sending it new requests. It must leave cleanly (exit code 0, marked
/// Dead by itself), its clients see nothing worse than a reconnect, and no signal or booking is lost.
/// </summary>
[Collection(FaultSuite.Name)]
public sealed class ScaleOutInTests
{
    private static readonly int CallCount = FaultSettings.Heavy ? 50 : 12;

    [Fact]
    public async Task AddingAThirdSiloThenStoppingOne_UnderCallsAndBookings_LosesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2);
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var leaving = cluster.Silos[0];
        var staying = cluster.Silos[1];
        var next = 0;
        var remaining = new List<SiloProcess> { staying };
        await using var calls = await LiveCalls.OpenAsync(cluster, admin, CallCount,
            doctorSilo: i => cluster.Silos[i % 2],
            patientSilo: i => cluster.Silos[(i + 1) % 2],
            reconnectTo: () =>
            {
                lock (remaining)
                {
                    return remaining[Interlocked.Increment(ref next) % remaining.Count];
                }
            });
        await using var load = await BookingLoad.PrepareAsync(cluster, admin, doctors: 3, patients: 6);
        calls.StartSending(TimeSpan.FromMilliseconds(500));
        load.Start(pause: TimeSpan.FromMilliseconds(100));
        await Task.Delay(TimeSpan.FromSeconds(3), ct);

        // Scale out: a third silo joins under load and takes new work.
        var joinClock = Stopwatch.StartNew();
        var added = cluster.AddSilo();
        await added.WaitReadyAsync(TimeSpan.FromSeconds(120));
        var joinedAfter = joinClock.Elapsed;
        var addedApi = load.ApiFor(added);
        var stayingApi = load.ApiFor(staying);
        lock (remaining)
        {
            remaining.Add(added);
        }

        load.Target(() => [stayingApi, addedApi]);
        await using var newCalls = await LiveCalls.OpenAsync(cluster, admin, 3,
            doctorSilo: _ => added, patientSilo: _ => added, reconnectTo: () => added);
        newCalls.StartSending(TimeSpan.FromMilliseconds(500));
        await Task.Delay(TimeSpan.FromSeconds(3), ct);

        // Scale in: the load balancer has stopped sending new requests to the leaving silo; now it gets SIGTERM.
        load.Target(() => [addedApi]);
        var onLeaving = calls.Parties.Count(p => p.Silo == leaving);
        var stopClock = Stopwatch.StartNew();
        calls.MarkFault(stopClock);
        newCalls.MarkFault(stopClock);
        await leaving.StopAsync(TimeSpan.FromSeconds(60));
        var stoppedAfter = stopClock.Elapsed;
        Assert.Equal(0, leaving.ExitCode);
        Assert.False(leaving.WasDeclaredDeadWhileAlive);

        await calls.WaitAllFlowingAsync(signals: 6, TimeSpan.FromSeconds(90));
        await newCalls.WaitAllFlowingAsync(signals: 6, TimeSpan.FromSeconds(30));
        await load.StopAsync();
        await calls.StopAndVerifyAsync(TimeSpan.FromSeconds(30));
        await newCalls.StopAndVerifyAsync(TimeSpan.FromSeconds(30));
        await load.VerifyAsync(cluster.ConnectionString);

        // Only the parties of the leaving silo reconnected, once each; the others saw nothing.
        Assert.All(calls.Parties, p => Assert.Equal(p.ResumedAfter is null ? 0 : 1, p.Reconnects));
        Assert.Equal(onLeaving, calls.Parties.Count(p => p.Reconnects == 1));
        Assert.All(newCalls.Parties, p => Assert.Equal(0, p.Reconnects));
        Assert.False(load.Acknowledged.IsEmpty);

        // Membership: the leaving silo marked itself Dead (a goodbye, not a suspicion), the other two are Active.
        await using var db = new NpgsqlConnection(cluster.ConnectionString);
        var statuses = (await db.QueryAsync<(int Port, int Status)>(
            "SELECT port, status FROM orleans.membership WHERE deployment_id = @id", new { id = cluster.ClusterId })).ToDictionary(r => r.Port, r => r.Status);
        Assert.Equal(6, statuses[leaving.SiloPort]);
        Assert.Equal(3, statuses[staying.SiloPort]);
        Assert.Equal(3, statuses[added.SiloPort]);

        var resume = calls.Parties.Where(p => p.ResumedAfter is not null).Select(p => p.ResumedAfter!.Value.TotalSeconds).ToList();
        var flowing = calls.Calls.Select(c => c.ResumedAfter!.Value.TotalSeconds).ToList();
        Figures.Report(string.Create(CultureInfo.InvariantCulture,
            $"scale-out/in under load ({CallCount}+3 calls, 6 booking clients): 3rd silo ready {joinedAfter.TotalSeconds:0.0} s after start and took calls and bookings; " +
            $"SIGTERM of silo 1 exited 0 in {stoppedAfter.TotalSeconds:0.0} s; {onLeaving} parties reconnected once each, resumed p50 {LiveCalls.Percentile(resume, 50):0.0} s / max {(resume.Count > 0 ? resume.Max() : 0):0.0} s, " +
            $"signals flowing again max {flowing.Max():0.0} s; {calls.Sent + newCalls.Sent} signals sent, 0 lost, {calls.Retries + newCalls.Retries} sender retries; " +
            $"{load.Acknowledged.Count} bookings acknowledged, all present, 0 errors ({load.Summary})"));
    }
}
