using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>Call state lives in grain storage (PostgreSQL), not in a silo's memory.</summary>
public sealed class CallStatePersistenceTests
{
    [Fact]
    public async Task EndedCall_WhenEveryOriginalSiloIsGone_IsReadBackFromGrainStorage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2);
        using var silo1 = cluster.Api(0);
        using var silo2 = cluster.Api(1);
        var admin = await silo1.LoginDemoAdminAsync();
        var doctor = await Scenario.VerifiedDoctorAsync(silo2, admin);
        var patient = await Scenario.ConsentingPatientAsync(silo1);
        var booked = await Scenario.BookNextSlotAsync(silo1, patient, doctor);

        Guid roomId;
        await using (var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => doctor.AccessToken))
        await using (var patientHub = await HubClient.ConnectAsync(silo1.BaseUrl, () => patient.AccessToken))
        {
            roomId = (await silo1.RequestCallAsync(patient, booked.AppointmentId)).RoomId;
            await silo2.CallActionAsync(doctor, roomId, "accept");
            await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", roomId.ToString(), ct);
            await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", roomId.ToString(), ct);
            await Task.Delay(TimeSpan.FromSeconds(1.5), ct);
            var ended = await silo2.CallActionAsync(doctor, roomId, "end");
            Assert.Equal("ended", ended.Status);
        }

        // Every silo that ever held the room goes away; a brand-new silo answers from storage.
        foreach (var silo in cluster.Silos)
        {
            await silo.StopAsync();
        }

        var fresh = cluster.AddSilo();
        await fresh.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var api = new TelemedicinaApi(fresh.BaseUrl);
        var call = await api.GetCallAsync(patient, roomId);
        Assert.Equal("ended", call.Status);
        Assert.Equal(booked.AppointmentId, call.AppointmentId);
        Assert.NotNull(call.StartedAt);
        Assert.NotNull(call.EndedAt);
        Assert.True(call.DurationSeconds >= 1, $"duration {call.DurationSeconds}");
        Assert.Equal("completed", (await api.GetAppointmentAsync(patient, booked.AppointmentId)).Status);

        await using var db = new NpgsqlConnection(cluster.ConnectionString);
        await db.OpenAsync(ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM orleans.grain_state WHERE grain_type LIKE '%room%' AND payload IS NOT NULL", db);
        Assert.True((long)(await count.ExecuteScalarAsync(ct))! >= 1);
    }
}
