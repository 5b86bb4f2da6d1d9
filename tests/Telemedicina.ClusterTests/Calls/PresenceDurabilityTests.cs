using Npgsql;
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

    /// <summary>
    /// A rolling deploy stops one silo at a time. From the moment that silo tells the cluster it is shutting down until
    /// it is declared dead (seconds while it hands its rooms over; held for 15 s here), the users connected to the other
    /// silos must still be reached: a doctor waiting for a patient must be rung, whichever silo held the doctor's presence
    /// or its grain-directory entry.
    /// </summary>
    [Fact]
    public async Task OnlineDoctors_AreRung_WhileAnotherSiloIsShuttingDown()
    {
        const int Pairs = 8;
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 1);
        var staying = cluster.Silos[0];
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var pairs = new List<BookedPair>();
        for (var i = 0; i < Pairs; i++)
        {
            pairs.Add(await Scenario.BookedPairAsync(api, api, admin));
        }

        // Every doctor is connected to the staying silo. The first half connect before the leaving silo joins: their
        // presence is on the staying silo, and the leaving silo takes over about half of their directory entries when
        // it joins. The others connect to the leaving silo first, which placement prefers (new and idle): their
        // presence is there.
        var doctorHubs = new List<HubClient>();
        var leavingHubs = new List<HubClient>();
        try
        {
            foreach (var pair in pairs.Take(Pairs / 2))
            {
                doctorHubs.Add(await HubClient.ConnectAsync(staying.BaseUrl, () => pair.Doctor.AccessToken));
            }

            var leaving = cluster.AddSilo(new Dictionary<string, string> { ["Faults__HoldShutdown"] = "00:00:15" });
            await leaving.WaitReadyAsync(TimeSpan.FromSeconds(90));
            foreach (var pair in pairs.Skip(Pairs / 2))
            {
                leavingHubs.Add(await HubClient.ConnectAsync(leaving.BaseUrl, () => pair.Doctor.AccessToken));
                doctorHubs.Add(await HubClient.ConnectAsync(staying.BaseUrl, () => pair.Doctor.AccessToken));
            }

            var stopped = leaving.StopAsync(TimeSpan.FromSeconds(60));
            await WaitForStatusAsync(cluster, leaving, status => status is ShuttingDown or Stopping, "shutting down", ct);
            // Its grains are deactivated right after it says so.
            await Task.Delay(TimeSpan.FromSeconds(3), ct);

            var calls = new List<CallState>();
            foreach (var pair in pairs)
            {
                calls.Add(await api.RequestCallAsync(pair.Patient, pair.Booked.AppointmentId));
            }

            var rung = await Task.WhenAll(doctorHubs.Select(async (hub, i) =>
            {
                try
                {
                    await hub.NextAsync<CallRequested>("CallRequested", TimeSpan.FromSeconds(4), e => e.RoomId == calls[i].RoomId);
                    return true;
                }
                catch (TimeoutException)
                {
                    return false;
                }
            }));
            var missed = rung.Select((r, i) => (r, i)).Where(x => !x.r).Select(x => x.i).ToList();

            // All of that happened while the leaving silo was still shutting down.
            Assert.NotEqual(Dead, await StatusAsync(cluster, leaving, ct));
            Assert.True(missed.Count == 0, $"doctors {string.Join(", ", missed)} of {Pairs} were not rung while another silo was shutting down");
            await stopped;
        }
        finally
        {
            foreach (var hub in doctorHubs.Concat(leavingHubs))
            {
                await hub.DisposeAsync();
            }
        }
    }

    // Orleans' SiloStatus, as the membership table stores it.
    private const int ShuttingDown = 4;
    private const int Stopping = 5;
    private const int Dead = 6;

    private static async Task WaitForStatusAsync(TestCluster cluster, SiloProcess silo, Func<int, bool> reached, string what, CancellationToken ct)
    {
        var deadline = Deadline.InSeconds(30);
        while (!reached(await StatusAsync(cluster, silo, ct)))
        {
            Assert.False(deadline.Passed, $"{silo.Name} was never {what} in the membership table");
            await Task.Delay(50, ct);
        }
    }

    private static async Task<int> StatusAsync(TestCluster cluster, SiloProcess silo, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(cluster.ConnectionString);
        await db.OpenAsync(ct);
        await using var query = new NpgsqlCommand(
            "SELECT status FROM orleans.membership WHERE deployment_id = @cluster AND port = @port ORDER BY generation DESC LIMIT 1", db);
        query.Parameters.AddWithValue("cluster", cluster.ClusterId);
        query.Parameters.AddWithValue("port", silo.SiloPort);
        return await query.ExecuteScalarAsync(ct) is int status ? status : -1;
    }
}
