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

    // Presence reads of this room's views that waited out their bound: the room logs a warning naming the user.
    private static async Task<int> UnansweredAsync(TestCluster cluster, Guid roomId, Guid userId, CancellationToken ct)
    {
        var count = 0;
        foreach (var silo in cluster.Silos)
        {
            await using var stream = new FileStream(silo.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            count += (await reader.ReadToEndAsync(ct)).Split('\n').Count(l =>
                l.Contains("did not answer", StringComparison.Ordinal) && l.Contains(roomId.ToString(), StringComparison.Ordinal)
                && l.Contains(userId.ToString(), StringComparison.Ordinal));
        }

        return count;
    }
}
