using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// The walking skeleton of the core bet: a patient on silo 1 and a doctor on silo 2, with the room
/// grain routing signaling to whichever silo holds the other party's WebSocket.
/// </summary>
public sealed class CrossSiloSignalingTests(ClusterFixture fixture)
{
    private const int SignalsEachWay = 300;

    [Fact]
    public async Task Call_WhenPartiesAreOnDifferentSilos_RelaysSignalsCompleteAndInOrderAndShutsOutThirdParty()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var doctor = await Scenario.VerifiedDoctorAsync(silo2, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(silo1);
        var outsider = await Scenario.ConsentingPatientAsync(silo2);
        var booked = await Scenario.BookNextSlotAsync(silo1, patient, doctor);

        await using var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken);
        await using var patientHub = await HubClient.ConnectAsync(silo1.BaseUrl, () => patient.AccessToken);
        await using var outsiderHub = await HubClient.ConnectAsync(silo1.BaseUrl, () => outsider.AccessToken);

        // The patient asks on silo 1; the doctor hears it on silo 2.
        var call = await silo1.RequestCallAsync(patient, booked.AppointmentId);
        Assert.Equal("ringing", call.Status);
        var requested = await doctorHub.NextAsync<CallRequested>("CallRequested", match: e => e.RoomId == call.RoomId);
        Assert.Equal(booked.AppointmentId, requested.AppointmentId);
        Assert.Equal(patient.Id, requested.From.UserId);

        // The doctor accepts on silo 2; the waiting patient hears it on silo 1.
        var accepted = await silo2.CallActionAsync(doctor, call.RoomId, "accept");
        Assert.Equal("accepted", accepted.Status);
        var statusChanged = await patientHub.NextAsync<CallStatusChanged>("CallStatusChanged", match: e => e.RoomId == call.RoomId);
        Assert.Equal("accepted", statusChanged.Status);

        var patientJoin = await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", call.RoomId.ToString(), ct);
        var doctorJoin = await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", call.RoomId.ToString(), ct);
        Assert.True(patientJoin.Self.Polite);
        Assert.False(doctorJoin.Self.Polite);
        Assert.Equal("doctor", doctorJoin.Self.Role);
        await patientHub.NextAsync<PeerJoined>("PeerJoined", match: e => e.UserId == doctor.Id);

        // Offer/answer/candidates both ways, interleaved, each arriving complete and in order.
        var room = call.RoomId.ToString();
        var sendPatient = Task.Run(async () =>
        {
            await patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "offer", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n", ct);
            for (var i = 1; i < SignalsEachWay; i++)
            {
                await patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "candidate", Candidate("p", i), ct);
            }
        }, ct);
        var sendDoctor = Task.Run(async () =>
        {
            await doctorHub.Connection.InvokeAsync("Signal", room, patient.Id.ToString(), "answer", "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\n", ct);
            for (var i = 1; i < SignalsEachWay; i++)
            {
                await doctorHub.Connection.InvokeAsync("Signal", room, patient.Id.ToString(), "candidate", Candidate("d", i), ct);
            }
        }, ct);

        var atDoctor = await ReceiveAsync(doctorHub, SignalsEachWay);
        var atPatient = await ReceiveAsync(patientHub, SignalsEachWay);
        await Task.WhenAll(sendPatient, sendDoctor);

        AssertInOrder(atDoctor, patient.Id, "offer", "p");
        AssertInOrder(atPatient, doctor.Id, "answer", "d");

        // A third user learns nothing and reaches no one.
        var refusedJoin = await Assert.ThrowsAsync<HubException>(() => outsiderHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct));
        Assert.DoesNotContain(doctor.Id.ToString(), refusedJoin.Message, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<HubException>(() => outsiderHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "candidate", Candidate("x", 1), ct));
        await Assert.ThrowsAsync<HubException>(() => outsiderHub.Connection.InvokeAsync("Signal", room, patient.Id.ToString(), "offer", "v=0\r\n", ct));
        using (var peek = await silo2.SendAsync(HttpMethod.Get, $"/api/v1/calls/{call.RoomId}", token: outsider.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, peek.StatusCode);
        }

        // The parties end the call: state is persisted and the appointment completed with a duration.
        var ended = await silo1.CallActionAsync(patient, call.RoomId, "end");
        Assert.Equal("ended", ended.Status);
        await doctorHub.NextAsync<CallStatusChanged>("CallStatusChanged", match: e => e.Status == "ended");
        var fromOtherSilo = await silo2.GetCallAsync(doctor, call.RoomId);
        Assert.Equal("ended", fromOtherSilo.Status);
        Assert.NotNull(fromOtherSilo.DurationSeconds);
        var appointment = await silo2.GetAppointmentAsync(doctor, booked.AppointmentId);
        Assert.Equal("completed", appointment.Status);
        Assert.NotNull(appointment.DurationSeconds);

        Assert.Equal(0, outsiderHub.PendingTotal());
        Assert.Equal(0, doctorHub.Pending("Signal"));
        Assert.Equal(0, patientHub.Pending("Signal"));
    }

    private static string Candidate(string who, int index) =>
        $"{{\"candidate\":\"candidate:{index} 1 udp 2122260223 127.0.0.1 {50000 + index} typ host\",\"sdpMid\":\"0\",\"who\":\"{who}\",\"i\":{index}}}";

    private static async Task<List<SignalMessage>> ReceiveAsync(HubClient hub, int count)
    {
        var received = new List<SignalMessage>(count);
        for (var i = 0; i < count; i++)
        {
            received.Add(await hub.NextAsync<SignalMessage>("Signal", TimeSpan.FromSeconds(30)));
        }

        return received;
    }

    private static void AssertInOrder(List<SignalMessage> received, Guid from, string firstKind, string who)
    {
        Assert.Equal(SignalsEachWay, received.Count);
        Assert.All(received, s => Assert.Equal(from, s.FromUserId));
        Assert.Equal(firstKind, received[0].Kind);
        Assert.Equal(Enumerable.Range(1, SignalsEachWay).Select(i => (long)i), received.Select(s => s.Seq));
        for (var i = 1; i < SignalsEachWay; i++)
        {
            Assert.Equal("candidate", received[i].Kind);
            Assert.Contains($"\"who\":\"{who}\",\"i\":{i.ToString(CultureInfo.InvariantCulture)}}}", received[i].Payload, StringComparison.Ordinal);
        }
    }
}
