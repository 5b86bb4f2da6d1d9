using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// The room relayed a message, but its answer to the sender's silo was lost (as when the room's silo stops
/// between the two): the sender hears "tente novamente" and sends it again. The other party gets it once,
/// whether the retry reaches the same activation of the room or, after a graceful stop of its silo, the next
/// one. The lost answer is injected (<c>Faults:LoseRoomAnswersContaining</c>): real stops produce it only now
/// and then.
/// </summary>
public sealed class LostAnswerTests
{
    private const string Marker = "lose-the-answer";

    [Fact]
    public async Task ARetriedMessageWhoseAnswerWasLost_ReachesTheOtherPartyOnce_EvenAfterTheRoomMoved()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string> { ["Faults__LoseRoomAnswersContaining"] = Marker });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, _, roomId, host) = await cluster.AcceptedCallAsync(api, admin);
        var room = roomId.ToString();
        var other = cluster.Silos.Single(s => s != host);

        // Both parties on the silo that does not host the room, so both stay connected when the host stops.
        await using var doctorHub = await HubClient.ConnectAsync(other.BaseUrl, () => doctor.AccessToken);
        await using var patientHub = await HubClient.ConnectAsync(other.BaseUrl, () => patient.AccessToken);
        await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
        await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
        await doctorHub.NextAsync<PeerJoined>("PeerJoined", match: e => e.UserId == patient.Id);

        Task Signal(string payload) => patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "candidate", payload, ct);
        async Task<string> NextSignalAsync() => (await doctorHub.NextAsync<SignalMessage>("Signal", TimeSpan.FromSeconds(30))).Payload;

        await Signal(Candidate(1));
        Assert.Equal(Candidate(1), await NextSignalAsync());

        // Relayed, answer lost, sent again to the same activation of the room.
        var lost = await Assert.ThrowsAsync<HubException>(() => Signal(Candidate(2, Marker)));
        Assert.Contains("tente novamente", lost.Message, StringComparison.Ordinal);
        Assert.Equal(Candidate(2, Marker), await NextSignalAsync());
        await Signal(Candidate(2, Marker));
        await Signal(Candidate(3));
        Assert.Equal(Candidate(3), await NextSignalAsync());

        // The same for a chat line, which the room also stores with the call.
        await Assert.ThrowsAsync<HubException>(() => patientHub.Connection.InvokeAsync("Chat", room, "olá " + Marker, ct));
        await patientHub.Connection.InvokeAsync("Chat", room, "olá " + Marker, ct);
        await patientHub.Connection.InvokeAsync("Chat", room, "tudo bem?", ct);
        Assert.Equal("olá " + Marker, (await doctorHub.NextAsync<ChatMessage>("Chat")).Text);
        Assert.Equal("tudo bem?", (await doctorHub.NextAsync<ChatMessage>("Chat")).Text);
        using (var otherApi = new TelemedicinaApi(other.BaseUrl, cluster.Outbox))
        {
            var stored = await otherApi.GetCallAsync(doctor, roomId);
            Assert.Equal(["olá " + Marker, "tudo bem?"], stored.Chat!.Select(c => c.Text));
        }

        // Relayed, answer lost, and the room's silo stops before the retry: the next activation knows it too.
        await Assert.ThrowsAsync<HubException>(() => Signal(Candidate(4, Marker)));
        Assert.Equal(Candidate(4, Marker), await NextSignalAsync());
        await host.StopAsync(TimeSpan.FromSeconds(60));
        var deadline = Deadline.InSeconds(60);
        while (true)
        {
            try
            {
                await Signal(Candidate(4, Marker));
                break;
            }
            catch (HubException) when (!deadline.Passed)
            {
                await Task.Delay(200, ct); // the room is moving to the other silo
            }
        }

        await Signal(Candidate(5));
        Assert.Equal(Candidate(5), await NextSignalAsync());

        // Not checked here: the room's host and the call record after the stop. Both read the parties' presence,
        // which can stall for 30 s after a graceful stop (a defect of its own, noted on issue 8).
    }

    private static string Candidate(int i, string tag = "") => $"{{\"candidate\":\"candidate:{i} 1 udp 2122260223 127.0.0.1 {40000 + i} typ host\",\"i\":{i},\"t\":\"{tag}\"}}";
}
