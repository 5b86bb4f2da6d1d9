using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// The call beyond the happy path, over two silos: a party that drops and comes back gets what it
/// missed, the record keeps every join/leave, chat and quality report; ringing ends in missed,
/// rejected or cancelled with both sides told; the doctor sees who is waiting.
/// </summary>
public sealed class CallLifecycleTests(ClusterFixture fixture)
{
    private const string Offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n";

    /// <summary>
    /// A doctor in a consult shows as "em outra consulta" to the next patient who calls, cannot accept that call, and
    /// shows as free and can accept once that consult ends. Each view is read a few times before it is judged: it is built from the presence grains, on other silos.
    /// </summary>
    [Fact]
    public async Task ADoctorInACall_ShowsAsBusyToTheNextPatient_AndCannotAcceptThem_UntilItEnds()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (_, doctor, roomId, _) = await AcceptedCallAsync(silo1, silo2);
        var next = await Scenario.ConsentingPatientAsync(silo2);
        var nextBooked = await Scenario.BookNextSlotAsync(silo2, next, doctor);
        await using var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken);
        await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", roomId.ToString(), ct);

        var nextRoom = (await silo1.RequestCallAsync(next, nextBooked.AppointmentId)).RoomId;
        Assert.True(await DoctorSeenAsync(silo1, next, nextRoom, doctor.Id, busy: true, ct), "the doctor in a call did not show as busy");

        // Answering the next patient while in a consult would leave that consult's patient talking to nobody: a 409
        // that says why, and the next call still rings.
        using (var refused = await silo1.SendAsync(HttpMethod.Post, $"/api/v1/calls/{nextRoom}/accept", null, doctor.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Contains("outra consulta", JsonDocument.Parse(await refused.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("ringing", (await silo1.GetCallAsync(next, nextRoom)).Status);

        await silo2.CallActionAsync(doctor, roomId, "end");
        Assert.True(await DoctorSeenAsync(silo1, next, nextRoom, doctor.Id, busy: false, ct), "the doctor still showed as busy after the call ended");
        Assert.Equal("accepted", (await silo1.CallActionAsync(doctor, nextRoom, "accept")).Status);
    }

    /// <summary>
    /// An accepted call takes the doctor before the room page joins it: a second accept in between (another tab, a
    /// double tap on the next patient) is a 409 as well, until the first call ends.
    /// </summary>
    [Fact]
    public async Task ADoctorWhoAcceptedACall_CannotAcceptAnotherBeforeJoiningIt()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (_, doctor, roomId, _) = await AcceptedCallAsync(silo1, silo2);
        var next = await Scenario.ConsentingPatientAsync(silo2);
        var nextBooked = await Scenario.BookNextSlotAsync(silo2, next, doctor);
        var nextRoom = (await silo1.RequestCallAsync(next, nextBooked.AppointmentId)).RoomId;

        using (var refused = await silo2.SendAsync(HttpMethod.Post, $"/api/v1/calls/{nextRoom}/accept", null, doctor.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        }

        await silo2.CallActionAsync(doctor, roomId, "end");
        Assert.Equal("accepted", (await silo2.CallActionAsync(doctor, nextRoom, "accept")).Status);
    }

    /// <summary>
    /// A doctor's two devices accepting two patients' calls at the same instant, one on each silo: one accept wins, the
    /// other is a 409 that says why, and its call keeps ringing. Each accept used to read the doctor's presence before
    /// either had recorded the doctor as taken, so both passed. A few rounds, each with a doctor of its own.
    /// </summary>
    [Fact]
    public async Task TwoAcceptsOfOneDoctorAtTheSameInstant_OnlyOneWins()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        TelemedicinaApi[] silos = [silo1, silo2];
        for (var round = 0; round < 5; round++)
        {
            var doctor = await Scenario.VerifiedDoctorAsync(silo1, fixture.Admin);
            var rooms = new Guid[2];
            for (var i = 0; i < 2; i++)
            {
                var patient = await Scenario.ConsentingPatientAsync(silos[i]);
                var booked = await Scenario.BookNextSlotAsync(silos[i], patient, doctor);
                rooms[i] = (await silos[i].RequestCallAsync(patient, booked.AppointmentId)).RoomId;
            }

            var answers = await Task.WhenAll(
                silo1.SendAsync(HttpMethod.Post, $"/api/v1/calls/{rooms[0]}/accept", null, doctor.AccessToken),
                silo2.SendAsync(HttpMethod.Post, $"/api/v1/calls/{rooms[1]}/accept", null, doctor.AccessToken));
            try
            {
                var statuses = answers.Select(a => a.StatusCode).ToArray();
                Assert.True(statuses.Count(s => s == HttpStatusCode.OK) == 1 && statuses.Count(s => s == HttpStatusCode.Conflict) == 1,
                    $"round {round}: the two accepts answered {string.Join(" and ", statuses)}");
                var lost = Array.IndexOf(statuses, HttpStatusCode.Conflict);
                Assert.Equal("application/problem+json", answers[lost].Content.Headers.ContentType?.MediaType);
                var detail = JsonDocument.Parse(await answers[lost].Content.ReadAsStringAsync(ct)).RootElement.GetProperty("detail").GetString();
                Assert.Contains("outra consulta", detail, StringComparison.Ordinal);
                Assert.Equal("ringing", (await silos[lost].GetCallAsync(doctor, rooms[lost])).Status);
                Assert.Equal("accepted", (await silos[1 - lost].GetCallAsync(doctor, rooms[1 - lost])).Status);
            }
            finally
            {
                foreach (var answer in answers)
                {
                    answer.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// A call that ends after its doctor has moved on does not free the doctor from the call they moved to: the doctor
    /// leaves call A (its patient stays), accepts B, then A's patient ends A. A third patient's call is still refused
    /// while B runs. The end of A used to clear the doctor's flag whichever call held it.
    /// </summary>
    [Fact]
    public async Task ACallThatEndsAfterTheDoctorMovedOn_DoesNotFreeTheDoctorFromTheNextCall()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (patientA, doctor, roomA, _) = await AcceptedCallAsync(silo1, silo2);
        await using (var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken))
        {
            await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", roomA.ToString(), ct);
            await doctorHub.Connection.InvokeAsync("LeaveRoom", roomA.ToString(), ct);
        }

        var patientB = await Scenario.ConsentingPatientAsync(silo1);
        var roomB = (await silo1.RequestCallAsync(patientB, (await Scenario.BookNextSlotAsync(silo1, patientB, doctor)).AppointmentId)).RoomId;
        Assert.Equal("accepted", (await silo2.CallActionAsync(doctor, roomB, "accept")).Status);
        Assert.Equal("ended", (await silo1.CallActionAsync(patientA, roomA, "end")).Status);

        var patientC = await Scenario.ConsentingPatientAsync(silo2);
        var roomC = (await silo2.RequestCallAsync(patientC, (await Scenario.BookNextSlotAsync(silo2, patientC, doctor)).AppointmentId)).RoomId;
        await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        using (var refused = await silo1.SendAsync(HttpMethod.Post, $"/api/v1/calls/{roomC}/accept", null, doctor.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        }

        await silo2.CallActionAsync(doctor, roomB, "end");
        Assert.Equal("accepted", (await silo1.CallActionAsync(doctor, roomC, "accept")).Status);
    }

    private static async Task<bool> DoctorSeenAsync(TelemedicinaApi api, TestUser viewer, Guid roomId, Guid doctorId, bool busy, CancellationToken ct)
    {
        for (var deadline = Deadline.InSeconds(10); !deadline.Passed; await Task.Delay(100, ct))
        {
            var seen = (await api.GetCallAsync(viewer, roomId)).Participants.Single(p => p.UserId == doctorId);
            if (seen.Online && seen.Busy == busy)
            {
                return true;
            }
        }

        return false;
    }

    [Fact]
    public async Task PartyThatDropsAndComesBackOnAnotherSilo_GetsTheSignalsItMissed_AndTheRecordKeepsEverything()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (patient, doctor, roomId, appointmentId) = await AcceptedCallAsync(silo1, silo2);
        var room = roomId.ToString();

        await using var patientHub = await HubClient.ConnectAsync(silo1.BaseUrl, () => patient.AccessToken);
        var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken);
        await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
        await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
        await patientHub.NextAsync<PeerJoined>("PeerJoined", match: e => e.UserId == doctor.Id);

        await patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "offer", Offer, ct);
        var first = await doctorHub.NextAsync<SignalMessage>("Signal");
        Assert.Equal("offer", first.Kind);

        // The doctor's connection drops (no LeaveRoom): the patient is told, and keeps signalling.
        await doctorHub.DisposeAsync();
        var left = await patientHub.NextAsync<PeerLeft>("PeerLeft", match: e => e.UserId == doctor.Id);
        Assert.Equal("disconnected", left.Reason);
        for (var i = 1; i <= 3; i++)
        {
            await patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "candidate", $"{{\"candidate\":\"c{i}\"}}", ct);
        }

        // Back through the other silo: JoinRoom replays exactly what was missed, in order.
        await using var doctorBack = await HubClient.ConnectAsync(silo1.BaseUrl, () => doctor.AccessToken);
        await doctorBack.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
        var replayed = new List<SignalMessage>();
        for (var i = 0; i < 3; i++)
        {
            replayed.Add(await doctorBack.NextAsync<SignalMessage>("Signal"));
        }

        Assert.Equal([first.Seq + 1, first.Seq + 2, first.Seq + 3], replayed.Select(s => s.Seq));
        Assert.Equal(["{\"candidate\":\"c1\"}", "{\"candidate\":\"c2\"}", "{\"candidate\":\"c3\"}"], replayed.Select(s => s.Payload));
        await patientHub.NextAsync<PeerJoined>("PeerJoined", match: e => e.UserId == doctor.Id);

        // A client that knows the last signal it handled asks for everything after it.
        await using var doctorThird = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken);
        await doctorThird.Connection.InvokeAsync<JoinRoomResult>("ResumeRoom", room, first.Seq + 1, ct);
        Assert.Equal(first.Seq + 2, (await doctorThird.NextAsync<SignalMessage>("Signal")).Seq);
        Assert.Equal(first.Seq + 3, (await doctorThird.NextAsync<SignalMessage>("Signal")).Seq);
        await Assert.ThrowsAsync<HubException>(() => doctorThird.Connection.InvokeAsync<JoinRoomResult>("ResumeRoom", room, -1L, ct));

        // Chat both ways is delivered and kept with the call.
        await patientHub.Connection.InvokeAsync("Chat", room, "Bom dia, doutora", ct);
        Assert.Equal("Bom dia, doutora", (await doctorBack.NextAsync<ChatMessage>("Chat")).Text);
        await doctorBack.Connection.InvokeAsync("Chat", room, "Bom dia! Como está?", ct);
        Assert.Equal("Bom dia! Como está?", (await patientHub.NextAsync<ChatMessage>("Chat")).Text);

        // Quality reports: validated, only by parties, stored with the call.
        using (var bad = await silo1.SendAsync(HttpMethod.Post, $"/api/v1/calls/{roomId}/quality", new { packetLossPercent = 250, jitterMs = -1 }, patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
            var problem = await bad.Content.ReadFromJsonAsync<Problem>(ct);
            Assert.Contains("packetLossPercent", problem!.Errors!.Keys);
            Assert.Contains("jitterMs", problem.Errors.Keys);
        }

        var outsider = await Scenario.ConsentingPatientAsync(silo2);
        using (var foreign = await silo2.SendAsync(HttpMethod.Post, $"/api/v1/calls/{roomId}/quality", new { roundTripTimeMs = 10 }, outsider.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }

        using (var ok = await silo2.SendAsync(HttpMethod.Post, $"/api/v1/calls/{roomId}/quality",
            new { roundTripTimeMs = 42.5, jitterMs = 3.1, packetLossPercent = 0.4, relay = true, iceRestarts = 1, secondsWithoutMedia = 2 }, patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        }

        var ended = await silo2.CallActionAsync(doctor, roomId, "end");
        Assert.Equal("ended", ended.Status);
        var record = await silo1.GetCallAsync(patient, roomId);
        Assert.Equal(["Bom dia, doutora", "Bom dia! Como está?"], record.Chat!.Select(c => c.Text));
        var quality = record.Quality![patient.Id];
        Assert.Equal(42.5, quality.RoundTripTimeMs);
        Assert.True(quality.Relay);
        Assert.Equal(1, quality.IceRestarts);
        var events = record.Events!.Select(e => (e.UserId, e.What)).ToList();
        Assert.Contains((doctor.Id, "joined"), events);
        Assert.Contains((patient.Id, "joined"), events);
        Assert.Contains((doctor.Id, "disconnected"), events);
        Assert.Contains((doctor.Id, "rejoined"), events);
        Assert.Contains((doctor.Id, "ended"), events);
        Assert.True(record.MaxDurationSeconds > 0);

        var history = await silo1.SendAsync<HistoryEntry[]>(HttpMethod.Get, $"/api/v1/scheduling/appointments/{appointmentId}/history", null, patient.AccessToken);
        var what = history.Select(h => h.What).ToList();
        Assert.Contains("call.joined", what);
        Assert.Contains("call.disconnected", what);
        Assert.Contains("call.rejoined", what);
    }

    /// <summary>
    /// PeerLeft tells a party in a call that the other one is gone for now. Once the call has ended both were told that
    /// instead, and the other party leaving the room or closing the page afterwards is no event (it is still recorded).
    /// </summary>
    [Fact]
    public async Task AfterTheCallEnded_APartyLeavingIsNotToldToTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var call = await TwoSiloCall.StartAsync(fixture.Cluster, fixture.Admin);
        var (silo2, doctor, patient, roomId, room) = (call.DoctorSilo, call.Doctor, call.Patient, call.RoomId, call.Room);
        var (patientHub, doctorHub) = (call.PatientHub, call.DoctorHub);
        await using var patientOther = await HubClient.ConnectAsync(silo2.BaseUrl, () => patient.AccessToken);
        await patientOther.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);

        await silo2.CallActionAsync(doctor, roomId, "end");
        await doctorHub.NextAsync<CallStatusChanged>("CallStatusChanged", match: e => e.RoomId == roomId && e.Status == "ended");
        await patientOther.Connection.InvokeAsync("LeaveRoom", room, ct);
        await patientHub.DisposeAsync();

        // Both departures are in the call's record, and the doctor heard of neither.
        var record = await silo2.GetCallAsync(doctor, roomId);
        for (var deadline = Deadline.InSeconds(10); !record.Events!.Any(e => e.UserId == patient.Id && e.What is "left" or "disconnected") && !deadline.Passed; await Task.Delay(100, ct))
        {
            record = await silo2.GetCallAsync(doctor, roomId);
        }

        Assert.Contains(record.Events!, e => e.UserId == patient.Id && e.What is "left" or "disconnected");
        await Task.Delay(500, ct);
        Assert.Equal(0, doctorHub.Pending("PeerLeft"));
    }

    /// <summary>
    /// The Chat event reaches the connections in the room only, so a join answers with the chat so far: a doctor who
    /// joins after the patient wrote reads it, and so does one who comes back after a lost connection, on another silo.
    /// </summary>
    [Fact]
    public async Task ChatWrittenBeforeAPartyJoinsOrWhileItIsAway_ComesWithItsJoin()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var call = await TwoSiloCall.StartAsync(fixture.Cluster, fixture.Admin, doctorJoins: false);
        var (silo1, doctor, patient, room) = (call.PatientSilo, call.Doctor, call.Patient, call.Room);
        var (patientHub, doctorHub) = (call.PatientHub, call.DoctorHub);
        await patientHub.Connection.InvokeAsync("Chat", room, "Já estou na sala, doutora.", ct);

        var joined = await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
        Assert.Equal([(patient.Id, "Já estou na sala, doutora.")], joined.Chat!.Select(c => (c.FromUserId, c.Text)));

        // The doctor's connection drops; the patient writes meanwhile; the doctor resumes on the other silo.
        await doctorHub.DisposeAsync();
        await patientHub.NextAsync<PeerLeft>("PeerLeft", match: e => e.UserId == doctor.Id);
        await patientHub.Connection.InvokeAsync("Chat", room, "A imagem congelou.", ct);
        await using var doctorBack = await HubClient.ConnectAsync(silo1.BaseUrl, () => doctor.AccessToken);
        var resumed = await doctorBack.Connection.InvokeAsync<JoinRoomResult>("ResumeRoom", room, 0L, ct);
        Assert.Equal(["Já estou na sala, doutora.", "A imagem congelou."], resumed.Chat!.Select(c => c.Text));
        Assert.True(resumed.Chat![0].At <= resumed.Chat[1].At);
    }

    /// <summary>
    /// Calls need the patient's telemedicine consent (CONTRACT.md), and a consent can be taken back at any time: the call
    /// under way ends at once on both silos, the appointment completes with the time it lasted, and the patient cannot
    /// join again. The revocation is made on the silo the room is not on.
    /// </summary>
    [Fact]
    public async Task APatientWhoTakesBackTheTelemedicineConsentDuringACall_EndsIt_AndCannotJoinAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var call = await TwoSiloCall.StartAsync(fixture.Cluster, fixture.Admin);
        var (silo1, silo2, doctor, patient, roomId, room) = (call.PatientSilo, call.DoctorSilo, call.Doctor, call.Patient, call.RoomId, call.Room);
        var (patientHub, doctorHub) = (call.PatientHub, call.DoctorHub);

        await silo1.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/privacy/consents", new { type = "telemedicine", granted = false }, patient.AccessToken);

        // Told to both parties by the time the revocation answers.
        foreach (var hub in new[] { doctorHub, patientHub })
        {
            var ended = await hub.NextAsync<CallStatusChanged>("CallStatusChanged", match: e => e.RoomId == roomId && e.Status != "accepted");
            Assert.Equal(("ended", patient.Id), (ended.Status, ended.ByUserId));
        }

        var record = await silo2.GetCallAsync(doctor, roomId);
        Assert.Equal(("ended", "consentRevoked"), (record.Status, record.EndReason));
        Assert.NotNull(record.DurationSeconds);
        Assert.Equal("completed", (await silo2.GetAppointmentAsync(doctor, call.Booked.AppointmentId)).Status);
        var refused = await Assert.ThrowsAsync<HubException>(() => patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct));
        Assert.Contains("consentimento para telemedicina", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HubException>(() => patientHub.Connection.InvokeAsync<JoinRoomResult>("ResumeRoom", room, 0L, ct));
    }

    /// <summary>
    /// A call still ringing when the patient takes back the consent is cancelled: the doctor is told and the call leaves
    /// the doctor's lobby, so the doctor does not answer a call that can no longer take place. Granting the consent again
    /// lets the patient call again.
    /// </summary>
    [Fact]
    public async Task APatientWhoTakesBackTheTelemedicineConsentWhileRinging_CancelsTheCall_AndCanCallAgainWithIt()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(silo2, silo1, fixture.Admin);
        await using var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken);
        var call = await silo1.RequestCallAsync(patient, booked.AppointmentId);
        await doctorHub.NextAsync<CallRequested>("CallRequested", match: e => e.RoomId == call.RoomId);

        await silo2.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/privacy/consents", new { type = "telemedicine", granted = false }, patient.AccessToken);

        var cancelled = await doctorHub.NextAsync<CallStatusChanged>("CallStatusChanged", match: e => e.RoomId == call.RoomId);
        Assert.Equal(("cancelled", patient.Id), (cancelled.Status, cancelled.ByUserId));
        Assert.DoesNotContain(
            await silo2.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken), w => w.RoomId == call.RoomId);
        Assert.Equal(HttpStatusCode.Forbidden, (await silo1.SendAsync(HttpMethod.Post, "/api/v1/calls", new { appointmentId = booked.AppointmentId }, patient.AccessToken)).StatusCode);

        await silo1.GrantConsentAsync(patient);
        var again = await silo1.RequestCallAsync(patient, booked.AppointmentId);
        Assert.NotEqual(call.RoomId, again.RoomId);
        Assert.Equal("ringing", again.Status);
    }

    [Fact]
    public async Task Ringing_WithoutAnAnswer_EndsMissed_AndBothSidesAreTold()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(silo2, silo1, fixture.Admin);
        await using var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken);
        await using var patientHub = await HubClient.ConnectAsync(silo1.BaseUrl, () => patient.AccessToken);

        var call = await silo1.RequestCallAsync(patient, booked.AppointmentId);
        await doctorHub.NextAsync<CallRequested>("CallRequested", match: e => e.RoomId == call.RoomId);
        var waiting = await silo2.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken);
        Assert.Contains(waiting, w => w.RoomId == call.RoomId && w.From.UserId == patient.Id);

        var wait = ClusterFixture.RingTimeout + TimeSpan.FromSeconds(30);
        var atPatient = await patientHub.NextAsync<CallStatusChanged>("CallStatusChanged", wait, e => e.RoomId == call.RoomId);
        var atDoctor = await doctorHub.NextAsync<CallStatusChanged>("CallStatusChanged", wait, e => e.RoomId == call.RoomId);
        Assert.Equal("missed", atPatient.Status);
        Assert.Equal("missed", atDoctor.Status);
        // Nobody missed it: the room did, and says so with no user id (it sent the all-zero one).
        Assert.Null(atPatient.ByUserId);
        Assert.Null(atDoctor.ByUserId);
        // The room writes the history entry after telling the parties.
        HistoryEntry? missed = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); missed is null && DateTime.UtcNow < deadline; await Task.Delay(200, TestContext.Current.CancellationToken))
        {
            var history = await silo1.SendAsync<HistoryEntry[]>(HttpMethod.Get, $"/api/v1/scheduling/appointments/{booked.AppointmentId}/history", null, patient.AccessToken);
            missed = history.SingleOrDefault(h => h.What == "call.missed");
        }

        Assert.NotNull(missed);
        Assert.Null(missed.ByUserId);
        var state = await silo2.GetCallAsync(doctor, call.RoomId);
        Assert.Equal("missed", state.Status);
        Assert.Equal("missed", state.EndReason);
        waiting = await silo2.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken);
        Assert.DoesNotContain(waiting, w => w.RoomId == call.RoomId);

        // A missed call cannot be accepted any more, and the refusal says why in Portuguese (it read "A chamada está
        // missed."); nor can its room be joined.
        using var late = await silo2.SendAsync(HttpMethod.Post, $"/api/v1/calls/{call.RoomId}/accept", token: doctor.AccessToken);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("A chamada não foi atendida a tempo.",
            JsonDocument.Parse(await late.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("detail").GetString());
        var join = await Assert.ThrowsAsync<HubException>(() => doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", call.RoomId.ToString(), TestContext.Current.CancellationToken));
        Assert.Contains("A chamada não foi atendida a tempo.", join.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectedAndCancelledCalls_TellTheOtherSide_AndLeaveTheWaitingList()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(silo2, silo1, fixture.Admin);
        await using var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken);
        await using var patientHub = await HubClient.ConnectAsync(silo1.BaseUrl, () => patient.AccessToken);

        // Only doctors have a waiting list.
        using (var notDoctor = await silo1.SendAsync(HttpMethod.Get, "/api/v1/calls/waiting", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, notDoctor.StatusCode);
        }

        var first = await silo1.RequestCallAsync(patient, booked.AppointmentId);
        await doctorHub.NextAsync<CallRequested>("CallRequested", match: e => e.RoomId == first.RoomId);
        Assert.Contains(await silo1.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken), w => w.RoomId == first.RoomId);
        await silo2.CallActionAsync(doctor, first.RoomId, "reject");
        var rejected = await patientHub.NextAsync<CallStatusChanged>("CallStatusChanged", match: e => e.RoomId == first.RoomId);
        Assert.Equal("rejected", rejected.Status);
        Assert.Equal(doctor.Id, rejected.ByUserId);
        Assert.DoesNotContain(await silo2.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken), w => w.RoomId == first.RoomId);

        // The patient may ask again, then give up: the doctor's panel hears it.
        var second = await silo1.RequestCallAsync(patient, booked.AppointmentId);
        Assert.NotEqual(first.RoomId, second.RoomId);
        await doctorHub.NextAsync<CallRequested>("CallRequested", match: e => e.RoomId == second.RoomId);
        await silo1.CallActionAsync(patient, second.RoomId, "cancel");
        var cancelled = await doctorHub.NextAsync<CallStatusChanged>("CallStatusChanged", match: e => e.RoomId == second.RoomId && e.Status != "ringing");
        Assert.Equal("cancelled", cancelled.Status);
        Assert.Empty(await silo2.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken));

        // The doctor cannot cancel for the patient, nor the patient accept for the doctor.
        var third = await silo1.RequestCallAsync(patient, booked.AppointmentId);
        using (var wrongCancel = await silo2.SendAsync(HttpMethod.Post, $"/api/v1/calls/{third.RoomId}/cancel", token: doctor.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrongCancel.StatusCode);
        }

        using (var wrongAccept = await silo1.SendAsync(HttpMethod.Post, $"/api/v1/calls/{third.RoomId}/accept", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrongAccept.StatusCode);
        }

        await silo1.CallActionAsync(patient, third.RoomId, "cancel");
    }

    /// <summary>
    /// Calling and cancelling over and over rang the doctor each time: the request limiter counts per silo, so through
    /// the load balancer a patient had it once per silo. One appointment opens at most five calls in ten minutes,
    /// whichever silo takes them.
    /// </summary>
    [Fact]
    public async Task CallAndCancel_OverAndOver_IsStoppedAfterFiveCallsOfOneAppointment_OnEverySilo()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (_, patient, booked) = await Scenario.BookedPairAsync(silo2, silo1, fixture.Admin);
        for (var i = 0; i < 5; i++)
        {
            var api = i % 2 == 0 ? silo1 : silo2;
            var call = await api.RequestCallAsync(patient, booked.AppointmentId);
            await api.CallActionAsync(patient, call.RoomId, "cancel");
        }

        foreach (var api in new[] { silo1, silo2 })
        {
            using var refused = await api.SendAsync(HttpMethod.Post, "/api/v1/calls", new { appointmentId = booked.AppointmentId }, patient.AccessToken);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.True(refused.Headers.RetryAfter is not null, "no Retry-After");
            Assert.Contains("Aguarde 10 min", JsonDocument.Parse(await refused.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CallOutsideTheJoinWindow_OrByAnyoneButThePatient_IsRefused_AndLeaksNothing()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var doctor = await Scenario.VerifiedDoctorAsync(silo2, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(silo1);
        var stranger = await Scenario.ConsentingPatientAsync(silo2);
        var tomorrow = DateTimeOffset.UtcNow.AddHours(20);
        var slot = (await silo1.SlotsAsync(patient, doctor.Id, tomorrow, tomorrow.AddDays(1)))[0];
        var later = await silo1.BookAsync(patient, doctor.Id, slot.StartsAt);
        await using var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken);

        // Too early: 422 with when the room opens; the doctor is not disturbed.
        using (var early = await silo1.SendAsync(HttpMethod.Post, "/api/v1/calls", new { appointmentId = later.AppointmentId }, patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, early.StatusCode);
            Assert.Equal("application/problem+json", early.Content.Headers.ContentType?.MediaType);
            Assert.Contains("opensAt", await early.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        // Someone else's appointment, or the doctor calling: 404/403, nothing about the appointment.
        using (var foreign = await silo2.SendAsync(HttpMethod.Post, "/api/v1/calls", new { appointmentId = later.AppointmentId }, stranger.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
            var body = await foreign.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.DoesNotContain(doctor.Id.ToString(), body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("opensAt", body, StringComparison.Ordinal);
        }

        using (var byDoctor = await silo2.SendAsync(HttpMethod.Post, "/api/v1/calls", new { appointmentId = later.AppointmentId }, doctor.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, byDoctor.StatusCode);
        }

        // Bad input is a clear 400, not a 500.
        using (var bad = await silo1.SendAsync(HttpMethod.Post, "/api/v1/calls", new { appointmentId = "not-a-guid" }, patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.Equal(0, doctorHub.Pending("CallRequested"));
    }

    [Fact]
    public async Task PresenceChanges_ReachTheCounterpartOfTheDay_AndNoOneElse()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var doctor = await Scenario.VerifiedDoctorAsync(silo2, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(silo1);
        var stranger = await Scenario.ConsentingPatientAsync(silo1);
        await Scenario.BookNextSlotAsync(silo1, patient, doctor);
        await using var patientHub = await HubClient.ConnectAsync(silo1.BaseUrl, () => patient.AccessToken);
        await using var strangerHub = await HubClient.ConnectAsync(silo1.BaseUrl, () => stranger.AccessToken);

        var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken);
        var online = await patientHub.NextAsync<PresenceChanged>("PresenceChanged", match: e => e.UserId == doctor.Id);
        Assert.True(online.Online);
        await doctorHub.DisposeAsync();
        var offline = await patientHub.NextAsync<PresenceChanged>("PresenceChanged", match: e => e.UserId == doctor.Id);
        Assert.False(offline.Online);

        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.Equal(0, strangerHub.PendingTotal());
    }

    private async Task<(TestUser Patient, TestUser Doctor, Guid RoomId, Guid AppointmentId)> AcceptedCallAsync(TelemedicinaApi patientSilo, TelemedicinaApi doctorSilo)
    {
        var call = await Scenario.AcceptedCallAsync(doctorSilo, patientSilo, fixture.Admin);
        return (call.Patient, call.Doctor, call.RoomId, call.Booked.AppointmentId);
    }
}
