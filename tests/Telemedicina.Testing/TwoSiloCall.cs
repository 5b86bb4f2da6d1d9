using Microsoft.AspNetCore.SignalR.Client;

namespace Telemedicina.Testing;

/// <summary>
/// The usual set-up of a call test: a patient on silo 1 and a doctor on silo 2 of <see cref="TestCluster"/>, their accepted
/// call, and a hub connection of each on their own silo, joined to the room when asked. Disposes what it opened.
/// </summary>
public sealed class TwoSiloCall : IAsyncDisposable
{
    private TwoSiloCall(TelemedicinaApi patientSilo, TelemedicinaApi doctorSilo, AcceptedPair pair, HubClient patientHub, HubClient doctorHub)
    {
        PatientSilo = patientSilo;
        DoctorSilo = doctorSilo;
        Doctor = pair.Doctor;
        Patient = pair.Patient;
        Booked = pair.Booked;
        RoomId = pair.RoomId;
        PatientHub = patientHub;
        DoctorHub = doctorHub;
    }

    public TelemedicinaApi PatientSilo { get; }

    public TelemedicinaApi DoctorSilo { get; }

    public TestUser Doctor { get; }

    public TestUser Patient { get; }

    public Booked Booked { get; }

    public Guid RoomId { get; }

    public string Room => RoomId.ToString();

    public HubClient PatientHub { get; }

    public HubClient DoctorHub { get; }

    /// <summary>When both join, returns once the patient heard that the doctor is in.</summary>
    public static async Task<TwoSiloCall> StartAsync(TestCluster cluster, TestUser admin, bool patientJoins = true, bool doctorJoins = true)
    {
        var ct = Xunit.TestContext.Current.CancellationToken;
        var patientSilo = cluster.Api(0);
        var doctorSilo = cluster.Api(1);
        var pair = await Scenario.AcceptedCallAsync(doctorSilo, patientSilo, admin);
        var call = new TwoSiloCall(
            patientSilo, doctorSilo, pair,
            await HubClient.ConnectAsync(patientSilo.BaseUrl, () => pair.Patient.AccessToken),
            await HubClient.ConnectAsync(doctorSilo.BaseUrl, () => pair.Doctor.AccessToken));
        if (patientJoins)
        {
            await call.PatientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", call.Room, ct);
        }

        if (doctorJoins)
        {
            await call.DoctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", call.Room, ct);
        }

        if (patientJoins && doctorJoins)
        {
            await call.PatientHub.NextAsync<PeerJoined>("PeerJoined", match: e => e.UserId == pair.Doctor.Id);
        }

        return call;
    }

    public async ValueTask DisposeAsync()
    {
        await PatientHub.DisposeAsync();
        await DoctorHub.DisposeAsync();
        PatientSilo.Dispose();
        DoctorSilo.Dispose();
    }
}
