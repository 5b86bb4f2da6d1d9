using System.Globalization;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// The TURN credentials a join hands out last until the appointment's join window closes plus a margin, and the room
/// knows that time from when the call was opened: a join or a resume (after every lost connection, and for all the
/// rooms of a crashed silo at once) reads no appointment.
/// </summary>
public sealed class JoinCredentialsTests
{
    // SchedulingSettings.JoinWindowAfter and CallsSettings.CredentialMargin, both at their defaults here.
    private static readonly TimeSpan JoinWindowAfter = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan CredentialMargin = TimeSpan.FromMinutes(30);

    [Fact]
    public async Task JoinAndResume_IssueTurnCredentialsUntilTheWindowTheCallWasOpenedWith_WithoutReadingTheAppointment()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 1, new Dictionary<string, string>
        {
            ["Turn__Urls__0"] = "turn:127.0.0.1:3478?transport=udp",
            ["Turn__Secret"] = "join-credentials-test",
        });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var doctor = await Scenario.VerifiedDoctorAsync(api, admin);
        var patient = await Scenario.ConsentingPatientAsync(api);
        var booked = await Scenario.BookNextSlotAsync(api, patient, doctor);
        await using var doctorHub = await HubClient.ConnectAsync(api.BaseUrl, () => doctor.AccessToken);
        await using var patientHub = await HubClient.ConnectAsync(api.BaseUrl, () => patient.AccessToken);
        var roomId = (await api.RequestCallAsync(patient, booked.AppointmentId)).RoomId;
        await api.CallActionAsync(doctor, roomId, "accept");

        // The appointment's row changes behind the room's back (a join that read it would follow).
        await using (var db = new NpgsqlConnection(cluster.ConnectionString))
        {
            await db.OpenAsync(ct);
            await using var shorten = new NpgsqlCommand("UPDATE scheduling.appointments SET ends_at = starts_at + interval '1 minute' WHERE id = @id", db);
            shorten.Parameters.AddWithValue("id", booked.AppointmentId);
            Assert.Equal(1, await shorten.ExecuteNonQueryAsync(ct));
        }

        var expected = (booked.EndsAt + JoinWindowAfter + CredentialMargin).ToUnixTimeSeconds();
        var joined = await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", roomId.ToString(), ct);
        var resumed = await doctorHub.Connection.InvokeAsync<JoinRoomResult>("ResumeRoom", roomId.ToString(), 0L, ct);

        Assert.Equal(expected, TurnExpiry(joined, patient.Id));
        Assert.Equal(expected, TurnExpiry(resumed, doctor.Id));
    }

    // The TURN REST username is "expiry:userId".
    private static long TurnExpiry(JoinRoomResult result, Guid userId)
    {
        var turn = Assert.Single(result.IceServers, s => s.Urls.Any(u => u.StartsWith("turn:", StringComparison.Ordinal)));
        var parts = turn.Username!.Split(':');
        Assert.Equal(userId.ToString(), parts[1]);
        return long.Parse(parts[0], CultureInfo.InvariantCulture);
    }
}
