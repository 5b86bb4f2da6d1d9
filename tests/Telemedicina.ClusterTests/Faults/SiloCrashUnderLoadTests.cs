using System.Diagnostics;
using System.Globalization;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Faults;

/// <summary>
/// <c>kill -9</c> of one of three silos while 50 calls signal: the parties are spread so that most calls have a
/// party, a room or both on the silo that dies. Every call must carry on through the survivors with no
/// acknowledged signal lost, but for one per sender in flight at the kill (see <see cref="LiveCalls.StopAndVerifyAsync"/>).
/// (One pair with a single room is <c>RoomCrashTests</c>; media in real browsers
/// across the same crash is <c>Telemedicina.BrowserTests/CrashTests</c>.)
/// </summary>
[Collection(FaultSuite.Name)]
public sealed class SiloCrashUnderLoadTests
{
    private static readonly int CallCount = FaultSettings.Heavy ? 150 : 50;

    [Fact]
    public async Task KillingOneOfThreeSilos_During50LiveCalls_EveryCallResumes_NoSignalLostButOneInFlightAtTheKill()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 3);
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var victim = cluster.Silos[2];
        var survivors = cluster.Silos.Take(2).ToList();
        var next = 0;
        await using var calls = await LiveCalls.OpenAsync(cluster, admin, CallCount,
            doctorSilo: i => cluster.Silos[i % 3],
            patientSilo: i => cluster.Silos[(i + 1) % 3],
            reconnectTo: () => survivors[Interlocked.Increment(ref next) % survivors.Count]);
        var onVictim = calls.Parties.Count(p => p.Silo == victim);

        calls.StartSending(TimeSpan.FromMilliseconds(500));
        await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
        var beforeCrash = calls.Sent;
        Assert.True(beforeCrash > 0, "No signal was sent before the crash.");

        var clock = Stopwatch.StartNew();
        victim.Kill();
        calls.MarkFault(clock);

        await calls.WaitAllFlowingAsync(signals: 10, TimeSpan.FromSeconds(120));
        // A signal the killed room acknowledged and had not yet written to a socket on the same silo can be lost (ADR
        // 0005): one per sender, acknowledged within a second of the kill. Every other acknowledged signal must arrive.
        await calls.StopAndVerifyAsync(TimeSpan.FromSeconds(30), inFlightAtKill: true);

        // Every call is still the same accepted call, read through a survivor.
        using var survivor = new TelemedicinaApi(survivors[0].BaseUrl, cluster.Outbox);
        foreach (var call in calls.Calls)
        {
            Assert.Equal("accepted", (await survivor.GetCallAsync(call.Doctor.User, call.RoomId)).Status);
        }

        Assert.All(calls.Parties, p => Assert.NotEqual(victim, p.Silo));
        var affected = calls.Calls.Where(c => c.Reconnected).ToList();
        Assert.Equal(onVictim, calls.Parties.Count(p => p.Reconnects > 0));
        // Rooms on the survivors whose grain-directory entry the victim held were deactivated by Orleans and handed over
        // to a new activation (the case that once lost the signals sent to a party on the dead silo). How many depends on
        // the victim's share of the directory ring (one point per silo: 0 to ~70% of the rooms in our runs), so it is
        // reported, not asserted.
        var handedOver = survivors.Sum(s => File.ReadLines(s.LogPath).Count(l => l.Contains("handed over on deactivation (DirectoryFailure)", StringComparison.Ordinal)));
        var resume = calls.Calls.Select(c => c.ResumedAfter!.Value.TotalSeconds).ToList();
        var rejoin = calls.Parties.Where(p => p.ResumedAfter is not null).Select(p => p.ResumedAfter!.Value.TotalSeconds).ToList();
        Figures.Report(string.Create(CultureInfo.InvariantCulture,
            $"kill -9 of 1 of 3 silos during {CallCount} live calls: {onVictim} parties on it reconnected ({affected.Count} calls), resume p50 {LiveCalls.Percentile(rejoin, 50):0.0} s / max {rejoin.Max():0.0} s; " +
            $"signals flowing both ways again p50 {LiveCalls.Percentile(resume, 50):0.0} s / max {resume.Max():0.0} s after the kill; " +
            $"{handedOver} rooms on survivors handed over after Orleans deactivated them (their directory entry was on the victim); " +
            $"{calls.Sent} signals sent, {calls.Received} received, {calls.LostInFlight.Count} lost in flight at the kill{(calls.LostInFlight.Count == 0 ? "" : " (" + string.Join("; ", calls.LostInFlight) + ")")}, 0 lost otherwise, " +
            $"{calls.Duplicates} duplicates dropped, {calls.Retries} sender retries"));
    }
}

