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

    /// <summary>
    /// After a silo was killed, presence grains of a survivor did not answer for over a minute (a CI run). The room,
    /// which awaited the in-call flag it writes to a presence grain, froze with them: the doctor's resume, the quality
    /// reports and the operators' diagnostics all waited behind it. What rooms and appointments write to presence grains
    /// is sent without waiting, and what they read is bounded, so a whole call, from the request to its end, goes
    /// through while every such call stalls inside the presence grains (<c>Faults:StallPresence</c>, longer than
    /// Orleans' 30 s response timeout).
    /// </summary>
    [Fact]
    public async Task AWholeCall_GoesThrough_WhilePresenceGrainsHoldEveryCallOfRoomsAndAppointments()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string> { ["Faults__StallPresence"] = "00:00:40" });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(api, api, admin);
        await using var doctorHub = await HubClient.ConnectAsync(cluster.Silos[0].BaseUrl, () => doctor.AccessToken);
        await using var patientHub = await HubClient.ConnectAsync(cluster.Silos[1].BaseUrl, () => patient.AccessToken);

        // The request reads the doctor's home silo (a hint) and adds the call to the doctor's waiting list; the doctor
        // is rung all the same (the ring is a one-way event of its own).
        var call = await api.RequestCallAsync(patient, booked.AppointmentId);
        await doctorHub.NextAsync<CallRequested>("CallRequested", TimeSpan.FromSeconds(15), e => e.RoomId == call.RoomId);
        Assert.Equal("accepted", (await api.CallActionAsync(doctor, call.RoomId, "accept")).Status);

        // Joining writes the in-call flag of each party.
        var room = call.RoomId.ToString();
        Assert.Equal("accepted", (await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct)).Status);
        Assert.Equal("accepted", (await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct)).Status);
        await patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "offer", "v=0\r\n", ct);
        Assert.Equal("offer", (await doctorHub.NextAsync<SignalMessage>("Signal", TimeSpan.FromSeconds(15))).Kind);

        // The operators' diagnostics read where each party's connections are: past the bound, from the room.
        var diagnostics = await api.SendAsync<RoomDiagnostics>(HttpMethod.Get, $"/api/v1/admin/calls/{room}/diagnostics", null, admin.AccessToken);
        Assert.Contains(diagnostics.ConnectionSilos[doctor.Id], s => s.Contains($":{cluster.Silos[0].SiloPort}:", StringComparison.Ordinal));
        Assert.Contains(diagnostics.ConnectionSilos[patient.Id], s => s.Contains($":{cluster.Silos[1].SiloPort}:", StringComparison.Ordinal));

        // Ending clears both parties' in-call flags.
        Assert.Equal("ended", (await api.CallActionAsync(doctor, call.RoomId, "end")).Status);
        Assert.Equal("completed", (await api.GetAppointmentAsync(patient, booked.AppointmentId)).Status);
    }

    /// <summary>
    /// A doctor's presence grain that replaced a lost activation rebuilds the waiting list from the ringing rooms of the
    /// doctor's open appointments, on its first read: the moment rooms are recovering too. It asked them one after the
    /// other and waited for each, and the doctor's connection (its <c>Connect</c>) waited behind it. The rooms are asked
    /// at once and each is bounded, so the list and the connection answer while every room holds those reads
    /// (<c>Faults:StallRoomReads</c>, longer than Orleans' 30 s response timeout), and the next read tries again.
    /// </summary>
    [Fact]
    public async Task TheDoctorsList_AndConnection_DoNotWaitForRoomsThatDoNotAnswerTheRebuild()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 1, new Dictionary<string, string> { ["Faults__StallRoomReads"] = "00:00:40" });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(api, api, admin);
        var call = await api.RequestCallAsync(patient, booked.AppointmentId);

        // The doctor opens the app: the list (the presence grain's first read, so a rebuild) and the hub connection at once.
        var list = api.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken);
        await using var doctorHub = await HubClient.ConnectAsync(api.BaseUrl, () => doctor.AccessToken);
        Assert.Contains(await list, w => w.RoomId == call.RoomId); // known from the ring itself

        // The room did not answer: said so, and asked again on the next read, which is bounded as well.
        var log = await LogAsync(cluster.Silos[0], ct);
        Assert.Contains(log.Split('\n'), l => l.Contains("did not answer within", StringComparison.Ordinal) && l.Contains(doctor.Id.ToString(), StringComparison.Ordinal));
        Assert.Contains(await api.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken), w => w.RoomId == call.RoomId);

        // The doctor is reachable through that connection.
        Assert.Equal("accepted", (await api.CallActionAsync(doctor, call.RoomId, "accept")).Status);
        var changed = await doctorHub.NextAsync<CallStatusChanged>("CallStatusChanged", TimeSpan.FromSeconds(15), e => e.RoomId == call.RoomId);
        Assert.Equal("accepted", changed.Status);
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
