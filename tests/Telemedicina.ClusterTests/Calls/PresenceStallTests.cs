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
}
