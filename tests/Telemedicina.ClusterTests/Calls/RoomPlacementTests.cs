using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// Issue 8 (placement): a consultation room is hosted on the silo that holds the doctor's connection, whichever
/// silo the patient's "enter" request reached, so a signal crosses between silos once. With three silos and the
/// request always landing on a silo the doctor is not on, the default placement would put rooms anywhere.
/// </summary>
public sealed class RoomPlacementTests
{
    private const int Rooms = 6;

    [Fact]
    public async Task TheRoomIsHostedOnTheDoctorsSilo_WhereverThePatientsRequestLanded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(3);
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var onDoctorsSilo = 0;
        var placements = new List<string>();
        for (var i = 0; i < Rooms; i++)
        {
            var (doctor, patient, booked) = await Scenario.BookedPairAsync(api, api, admin);
            var doctorSilo = cluster.Silos[i % 3];
            var requestSilo = cluster.Silos[(i + 1) % 3];
            await using var doctorHub = await HubClient.ConnectAsync(doctorSilo.BaseUrl, () => doctor.AccessToken);
            using var requestApi = new TelemedicinaApi(requestSilo.BaseUrl, cluster.Outbox);
            var call = await requestApi.RequestCallAsync(patient, booked.AppointmentId);
            await doctorHub.NextAsync<CallRequested>("CallRequested", match: e => e.RoomId == call.RoomId);

            var host = await cluster.RoomHostAsync(api, admin, call.RoomId);
            placements.Add($"doctor on {cluster.Silos.IndexOf(doctorSilo)}, request on {cluster.Silos.IndexOf(requestSilo)}, room on {cluster.Silos.IndexOf(host)}");
            if (host == doctorSilo)
            {
                onDoctorsSilo++;
            }

            // The doctor accepts and both join: the room relays between the two silos as placed.
            await requestApi.CallActionAsync(doctor, call.RoomId, "accept");
            await using var patientHub = await HubClient.ConnectAsync(requestSilo.BaseUrl, () => patient.AccessToken);
            var room = call.RoomId.ToString();
            await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
            await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
            await patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "offer", "v=0\r\n", ct);
            Assert.Equal("offer", (await doctorHub.NextAsync<SignalMessage>("Signal")).Kind);
            await requestApi.CallActionAsync(doctor, call.RoomId, "end");
        }

        Figures.Report($"room placement, 3 silos, patient's request on a silo without the doctor: {onDoctorsSilo}/{Rooms} rooms on the doctor's silo");
        Assert.True(onDoctorsSilo == Rooms, "rooms not on the doctor's silo: " + string.Join("; ", placements));
    }
}
