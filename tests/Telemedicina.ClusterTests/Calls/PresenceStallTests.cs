using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// Presence grains were seen not answering for 30 s (Orleans' response timeout) after a graceful stop of another
/// silo. The call must not wait for them: requesting, accepting, joining and reading the call answer, with the
/// parties' presence guessed from the room. The stall is injected (<c>Faults:DelayPresenceReads</c>, longer than
/// the test client's 30 s HTTP timeout): real stops produce it only now and then.
/// </summary>
public sealed class PresenceStallTests
{
    [Fact]
    public async Task TheCall_DoesNotWaitForPresenceGrainsThatDoNotAnswer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string> { ["Faults__DelayPresenceReads"] = "00:00:40" });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, _, roomId, _) = await cluster.AcceptedCallAsync(api, admin);

        await using var patientHub = await HubClient.ConnectAsync(cluster.Silos[1].BaseUrl, () => patient.AccessToken);
        var joined = await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", roomId.ToString(), ct);
        Assert.Equal("accepted", joined.Status);

        var call = await api.GetCallAsync(doctor, roomId);
        Assert.Equal("accepted", call.Status);
        var patientView = call.Participants.Single(p => p.UserId == patient.Id);
        var doctorView = call.Participants.Single(p => p.UserId == doctor.Id);
        Assert.True(patientView is { Joined: true, Online: true }, $"patient: {patientView}");
        Assert.True(doctorView is { Joined: false, Online: false }, $"doctor: {doctorView}");
    }

    /// <summary>
    /// A party with a connection in the room is online: a view of the call does not ask its presence grain. After a
    /// crash those grains are the busiest in the cluster, and every resume of a call waited on both of them.
    /// </summary>
    [Fact]
    public async Task AViewOfTheCall_DoesNotAskThePresenceOfPartiesInTheRoom()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string> { ["Faults__DelayPresenceReads"] = "00:00:40" });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, _, roomId, _) = await cluster.AcceptedCallAsync(api, admin);

        // Requesting and accepting asked both presence grains (nobody was in the room), and said so in the log.
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        var patientBefore = await UnansweredAsync(cluster, roomId, patient.Id, ct);
        var doctorBefore = await UnansweredAsync(cluster, roomId, doctor.Id, ct);
        Assert.True(patientBefore > 0 && doctorBefore > 0, "the fault did not stall the presence reads");

        // The patient joins first (the doctor is not in the room yet: asked once), then the doctor; then a view.
        await using var patientHub = await HubClient.ConnectAsync(cluster.Silos[1].BaseUrl, () => patient.AccessToken);
        await using var doctorHub = await HubClient.ConnectAsync(cluster.Silos[0].BaseUrl, () => doctor.AccessToken);
        await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", roomId.ToString(), ct);
        await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", roomId.ToString(), ct);
        var call = await api.GetCallAsync(patient, roomId);
        Assert.All(call.Participants, p => Assert.True(p is { Joined: true, Online: true, Busy: false }, $"{p}"));

        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        Assert.Equal(patientBefore, await UnansweredAsync(cluster, roomId, patient.Id, ct));
        Assert.Equal(doctorBefore + 1, await UnansweredAsync(cluster, roomId, doctor.Id, ct));
    }

    /// <summary>
    /// After the room's silo dies, the silo holding the patient's connection registers it again with the room's next
    /// activation. That silo does not use a view of the call, so the room must not build one: it asked the doctor's
    /// presence (the doctor was not back yet), whose grain is among the busiest in the cluster at that moment, and
    /// every recovered room waited on it.
    /// </summary>
    [Fact]
    public async Task RegisteringAConnectionAgainAfterACrash_DoesNotAskThePresenceOfTheOtherParty()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 3, new Dictionary<string, string> { ["Faults__DelayPresenceReads"] = "00:00:40" });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, _, roomId, host) = await cluster.AcceptedCallAsync(api, admin);
        var survivor = cluster.Silos.First(s => s != host);

        await using var patientHub = await HubClient.ConnectAsync(survivor.BaseUrl, () => patient.AccessToken);
        await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", roomId.ToString(), ct);
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        var doctorBefore = await UnansweredAsync(cluster, roomId, doctor.Id, ct);
        Assert.True(doctorBefore > 0, "the fault did not stall the presence reads");

        // Re-registered on the first attempt (the summary line) or, when the cluster refused that one for a moment (the
        // room's directory entry still pointed at the dead silo), on a retry (a line of its own).
        host.Kill();
        var deadline = Deadline.InSeconds(60);
        string log;
        while (!(log = await LogAsync(survivor, ct)).Contains("1 room membership(s)", StringComparison.Ordinal))
        {
            Assert.False(deadline.Passed, "the survivor did not register the patient's connection with the room again; its recovery said: "
                + string.Join(" | ", log.Split('\n').Where(l => l.Contains("MembershipRecovery", StringComparison.Ordinal)).Select(l => l.Length > 400 ? l[..400] : l)));
            await Task.Delay(200, ct);
        }

        // The room is back with the patient in it, and asked nobody's presence to get there: the one read counted
        // is this view's (the doctor is not in the room).
        using var survivorApi = cluster.Api(cluster.Silos.ToList().IndexOf(survivor));
        var call = await survivorApi.GetCallAsync(patient, roomId);
        Assert.True(call.Participants.Single(p => p.UserId == patient.Id) is { Joined: true }, $"{call}");
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        Assert.Equal(doctorBefore + 1, await UnansweredAsync(cluster, roomId, doctor.Id, ct));
    }

    // Presence reads of this room's views that waited out their bound: the room logs a warning naming the user.
    private static async Task<int> UnansweredAsync(TestCluster cluster, Guid roomId, Guid userId, CancellationToken ct)
    {
        var count = 0;
        foreach (var silo in cluster.Silos)
        {
            count += (await LogAsync(silo, ct)).Split('\n').Count(l =>
                l.Contains("did not answer", StringComparison.Ordinal) && l.Contains(roomId.ToString(), StringComparison.Ordinal)
                && l.Contains(userId.ToString(), StringComparison.Ordinal));
        }

        return count;
    }

    private static async Task<string> LogAsync(SiloProcess silo, CancellationToken ct)
    {
        await using var stream = new FileStream(silo.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(ct);
    }
}
