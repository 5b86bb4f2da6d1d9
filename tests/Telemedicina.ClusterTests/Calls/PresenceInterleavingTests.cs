using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// A user's presence grain awaits the database when the user comes online (which counterparts to tell). Reading
/// the presence, marking the user in a call and delivering events must not queue behind that: after a silo crash
/// hundreds of presences come online at once on a busy database, and every room's join and view reads them.
/// </summary>
public sealed class PresenceInterleavingTests
{
    [Fact]
    public async Task CallView_IsAnswered_WhileTheDoctorsPresenceWaitsOnTheDatabase()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 1);
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(api, api, admin);
        var call = await api.RequestCallAsync(patient, booked.AppointmentId);

        // The appointments table is locked, so the doctor's presence, coming online, waits on its read of them.
        await using var db = new NpgsqlConnection(cluster.ConnectionString);
        await db.OpenAsync(ct);
        await using var tx = await db.BeginTransactionAsync(ct);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE scheduling.appointments IN ACCESS EXCLUSIVE MODE", db, tx))
        {
            await lockTable.ExecuteNonQueryAsync(ct);
        }

        var doctorConnecting = HubClient.ConnectAsync(api.BaseUrl, () => doctor.AccessToken);
        await WaitForBlockedAnnounceAsync(cluster.ConnectionString, ct);

        // The patient's view of the call reads the doctor's presence: it is answered now, and shows the doctor online.
        var view = api.GetCallAsync(patient, call.RoomId);
        var answered = await Task.WhenAny(view, Task.Delay(TimeSpan.FromSeconds(10), ct));
        Assert.True(answered == view, "the call view waited for the doctor's presence to finish coming online");
        Assert.True((await view).Participants.Single(p => p.UserId == doctor.Id).Online, "the doctor was shown offline");

        // Once the database answers, the doctor's connection completes as before.
        await tx.RollbackAsync(ct);
        await using var doctorHub = await doctorConnecting.WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Contains(
            await api.SendAsync<WaitingCall[]>(HttpMethod.Get, "/api/v1/calls/waiting", null, doctor.AccessToken),
            w => w.RoomId == call.RoomId);
    }

    // Until the presence's read of the counterparts is seen waiting on the lock.
    private static async Task WaitForBlockedAnnounceAsync(string connectionString, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync(ct);
        var deadline = Deadline.InSeconds(30);
        while (!deadline.Passed)
        {
            await using var waiting = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%THEN doctor_id ELSE patient_id%'", db);
            if ((long)(await waiting.ExecuteScalarAsync(ct))! > 0)
            {
                return;
            }

            await Task.Delay(100, ct);
        }

        Assert.Fail("the doctor's presence never queried the locked appointments");
    }
}
