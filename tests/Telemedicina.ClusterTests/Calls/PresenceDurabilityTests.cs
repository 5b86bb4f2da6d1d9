using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// A user's presence grain holds soft state (the user's live connections, a doctor's waiting list) that exists
/// nowhere else in memory. It must survive idle-activation collection while the user is online, and a doctor's
/// waiting list must survive the loss of the silo that held it (a rolling deploy), because the doctor who opens
/// the app afterwards relies on it to see the patient who is waiting.
/// </summary>
public sealed class PresenceDurabilityTests
{
    [Fact]
    public async Task OnlineDoctor_IdleLongerThanTheCollectionAge_IsStillRung()
    {
        // Idle activations collected after 6 s, checked every 2 s (production: 15 min, every minute): a doctor who
        // waits between consults without touching anything.
        var collectionAge = TimeSpan.FromSeconds(6);
        await using var cluster = await TestCluster.StartAsync(silos: 1, new Dictionary<string, string>
        {
            ["Orleans__GrainCollection__CollectionQuantum"] = "00:00:02",
            ["Orleans__GrainCollection__CollectionAge"] = collectionAge.ToString(),
        });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(api, api, admin);
        await using var doctorHub = await HubClient.ConnectAsync(api.BaseUrl, () => doctor.AccessToken);

        await Task.Delay(collectionAge * 4, TestContext.Current.CancellationToken);

        var call = await api.RequestCallAsync(patient, booked.AppointmentId);
        var rung = await doctorHub.NextAsync<CallRequested>("CallRequested", TimeSpan.FromSeconds(15), e => e.RoomId == call.RoomId);
        Assert.Equal(patient.Id, rung.From.UserId);

        // The patient sees the doctor online: presence still knows the doctor's connection.
        var view = await api.GetCallAsync(patient, call.RoomId);
        Assert.True(view.Participants.Single(p => p.UserId == doctor.Id).Online, "the idle doctor was shown offline");
    }

    [Fact]
    public async Task DoctorsWaitingList_SurvivesTheStopOfEverySiloThatHeldIt()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string>
        {
            // Rings long enough to outlive the restart below.
            ["Calls__RingTimeout"] = "00:05:00",
        });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(api, api, admin);
        var call = await api.RequestCallAsync(patient, booked.AppointmentId);
        var before = Assert.Single(
            await api.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken),
            w => w.RoomId == call.RoomId);

        // A rolling deploy: every silo that could hold the doctor's presence stops; a new one takes over.
        foreach (var silo in cluster.Silos.ToList())
        {
            await silo.StopAsync();
        }

        var fresh = cluster.AddSilo();
        await fresh.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var freshApi = new TelemedicinaApi(fresh.BaseUrl, cluster.Outbox);
        var after = Assert.Single(
            await freshApi.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken),
            w => w.RoomId == call.RoomId);
        Assert.Equal(before, after with { From = before.From }); // same room, appointment and request time
        Assert.Equal(patient.Id, after.From.UserId);
        Assert.Equal(before.From.FullName, after.From.FullName);

        // The doctor answers from the rebuilt list, and the call leaves it.
        var accepted = await freshApi.CallActionAsync(doctor, call.RoomId, "accept");
        Assert.Equal("accepted", accepted.Status);
        Assert.DoesNotContain(
            await freshApi.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken),
            w => w.RoomId == call.RoomId);
    }
}
