using System.Diagnostics;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// The product's own UI through load balancers, three silos, and a <c>kill -9</c> mid-call of the
/// silo that hosts the room grain and holds the doctor's WebSocket: media keeps flowing (it is
/// peer-to-peer), the doctor's client reconnects through its load balancer to a surviving silo,
/// resumes the room, and an ICE restart renegotiates over the recovered signaling path.
/// </summary>
[Collection(CrashSuite.Name)]
public sealed class CrashTests
{
    [Fact]
    public Task KillingTheSiloWithTheRoomAndTheDoctor_MidCall_KeepsMediaFlowing_AndTheDoctorRecoversAndRenegotiates() =>
        LoseTheRoomsSiloAsync(graceful: false);

    /// <summary>
    /// The same with a graceful stop (SIGTERM, as a deployment or a scale-in does): the stopping silo
    /// closes the doctor's connection, the web client reconnects through its load balancer to a survivor
    /// and resumes the room, which the stopping silo handed over.
    /// </summary>
    [Fact]
    public Task GracefulStopOfTheSiloWithTheRoomAndTheDoctor_MidCall_KeepsMediaFlowing_AndTheDoctorMovesToAnotherSilo() =>
        LoseTheRoomsSiloAsync(graceful: true);

    private static async Task LoseTheRoomsSiloAsync(bool graceful)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 3);
        await using var patientLb = await TestLoadBalancer.StartAsync(cluster.Silos);
        using var api = new TelemedicinaApi(patientLb.BaseUrl, cluster.Outbox);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(api, api, admin);

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var patientPage = await (await Browser.ContextAsync(browser)).NewPageAsync();
        var doctorPage = await (await Browser.ContextAsync(browser)).NewPageAsync();

        // The patient asks through the round-robin LB; the room grain now lives on some silo.
        await CallPage.LoginAsync(patientPage, patientLb.BaseUrl, patient.Email, patient.Password, "paciente");
        await patientPage.Locator($"[data-testid='appointment-item'][data-appointment-id='{booked.AppointmentId}']").GetByTestId("enter-call").ClickAsync();
        await patientPage.Locator("[data-page='consulta']").WaitForAsync();
        await CallPage.PassDeviceCheckAsync(patientPage);
        var roomId = Guid.Parse(await patientPage.EvaluateAsync<string>("() => location.hash.split('/').pop()"));
        var host = await cluster.RoomHostAsync(api, admin, roomId);

        // The doctor's LB prefers that same silo while it lives (the others are its backups).
        await using var doctorLb = await TestLoadBalancer.StartAsync(cluster.Silos, primary: host);
        await CallPage.LoginAsync(doctorPage, doctorLb.BaseUrl, doctor.Email, doctor.Password, "medico");
        await doctorPage.GetByTestId("incoming-call").WaitForAsync(new() { Timeout = 20_000 });
        var console = new System.Collections.Concurrent.ConcurrentQueue<string>();
        patientPage.Console += (_, m) => console.Enqueue("patient: " + m.Text);
        doctorPage.Console += (_, m) => console.Enqueue("doctor: " + m.Text);
        await doctorPage.GetByTestId("accept-call").ClickAsync();
        await CallPage.PassDeviceCheckAsync(doctorPage);
        try
        {
            await CallPage.WaitForMediaAsync(patientPage, TimeSpan.FromSeconds(60));
            await CallPage.WaitForMediaAsync(doctorPage, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            const string Probe = "async () => JSON.stringify({ s: await window.telemedicina.session.stats(), sig: window.telemedicina.session.pc.signalingState, t: window.telemedicina.session.pc.getTransceivers().map(t => [t.mid, t.direction, t.currentDirection, !!t.sender.track]), l: (window.telemedicina.session.pc.localDescription?.sdp ?? '').split('\\r\\n').filter(x => x.startsWith('a=send') || x.startsWith('a=recv') || x.startsWith('a=inactive') || x.startsWith('m=')), r: (window.telemedicina.session.pc.remoteDescription?.sdp ?? '').split('\\r\\n').filter(x => x.startsWith('a=send') || x.startsWith('a=recv') || x.startsWith('a=inactive') || x.startsWith('m=')) })";
            var p = await patientPage.EvaluateAsync<string>(Probe);
            var d = await doctorPage.EvaluateAsync<string>(Probe);
            throw new TimeoutException($"{e.Message}\npatient {p}\ndoctor {d}\n{string.Join("\n", console)}");
        }
        var diagnostics = await api.SendAsync<RoomDiagnostics>(HttpMethod.Get, $"/api/v1/admin/calls/{roomId}/diagnostics", null, admin.AccessToken);
        Assert.Contains(diagnostics.ConnectionSilos[doctor.Id], s => s.Contains($":{host.SiloPort}:", StringComparison.Ordinal));
        Assert.Contains($":{host.SiloPort}:", diagnostics.HostSilo, StringComparison.Ordinal);

        var beforeDoctor = await CallPage.StatsAsync(doctorPage);
        var beforePatient = await CallPage.StatsAsync(patientPage);
        var clock = Stopwatch.StartNew();
        var stopped = graceful ? host.StopAsync(TimeSpan.FromSeconds(60)) : Task.Run(host.Kill, ct);

        // Media never stops: frames keep being decoded on both sides while signaling recovers.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        var duringDoctor = await CallPage.StatsAsync(doctorPage);
        var duringPatient = await CallPage.StatsAsync(patientPage);
        Assert.True(duringDoctor!.FramesDecoded > beforeDoctor!.FramesDecoded, "the doctor's video froze with the silo");
        Assert.True(duringPatient!.FramesDecoded > beforePatient!.FramesDecoded, "the patient's video froze with the silo");

        // The doctor's client reconnects through its LB to a survivor and resumes the room.
        await CallPage.WaitForAsync(async () => await doctorPage.EvaluateAsync<string>("() => window.telemedicina.hubState()") == "Connected", TimeSpan.FromSeconds(60));
        var lastSeen = "";
        try
        {
            await CallPage.WaitForAsync(async () =>
            {
                var now = await api.SendAsync<RoomDiagnostics>(HttpMethod.Get, $"/api/v1/admin/calls/{roomId}/diagnostics", null, admin.AccessToken);
                lastSeen = $"room on {now.HostSilo}; connections: {string.Join("; ", now.ConnectionSilos.Select(c => $"{(c.Key == doctor.Id ? "doctor" : "patient")} [{string.Join(", ", c.Value)}]"))}";
                if (now.HostSilo.Contains($":{host.SiloPort}:", StringComparison.Ordinal) || !now.ConnectionSilos.TryGetValue(doctor.Id, out var silos) || silos.Length == 0)
                {
                    return false;
                }

                // Connected is not enough: the doctor's new connection must have resumed the room.
                var call = await api.GetCallAsync(patient, roomId);
                return call.Participants.Any(p => p.UserId == doctor.Id && p.Joined);
            }, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            // What the room and the pages saw, for the next person who reads this failure.
            var call = await api.GetCallAsync(patient, roomId);
            var hubState = await doctorPage.EvaluateAsync<string>("() => window.telemedicina.hubState()");
            throw new TimeoutException(
                $"{e.Message}: the doctor did not come back to a room off the lost silo (:{host.SiloPort}). Last diagnostics: {lastSeen}. " +
                $"Call {call.Status}, participants {string.Join(", ", call.Participants.Select(p => $"{p.Role} joined={p.Joined}"))}; doctor's hub {hubState}.\n" +
                string.Join("\n", console), e);
        }
        var recovered = clock.Elapsed;
        await stopped;
        if (graceful)
        {
            Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        }

        // A renegotiation over the recovered path: ICE restart from the doctor, answered by the patient
        // with fresh ICE credentials (so the offer and the answer both crossed the recovered signaling).
        const string RemoteUfrag = "() => (window.telemedicina.session.pc.remoteDescription?.sdp ?? '').match(/a=ice-ufrag:(\\S+)/)?.[1] ?? ''";
        var ufragBefore = await doctorPage.EvaluateAsync<string>(RemoteUfrag);
        await doctorPage.EvaluateAsync("() => window.telemedicina.session.restartIce()");
        await CallPage.WaitForAsync(async () => await doctorPage.EvaluateAsync<string>(RemoteUfrag) is { Length: > 0 } now && now != ufragBefore, TimeSpan.FromSeconds(30));
        var afterRestart = await CallPage.WaitForMediaAsync(doctorPage, TimeSpan.FromSeconds(30), duringDoctor.FramesDecoded + 1);
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var later = await CallPage.StatsAsync(doctorPage);
        Assert.Equal("connected", later!.ConnectionState);
        Assert.True(later.FramesDecoded > afterRestart.FramesDecoded, "no media after the ICE restart");

        // The call state is intact.
        var state = await api.GetCallAsync(patient, roomId);
        Assert.Equal("accepted", state.Status);
        Assert.All(state.Participants, p => Assert.True(p.Joined, $"{p.Role} not joined after recovery"));
        Figures.Report($"browser call, {(graceful ? "graceful stop (SIGTERM)" : "kill -9")} of the silo with room + doctor: video never stopped; doctor back in the room {recovered.TotalSeconds:0.0} s after it; ICE restart over the recovered path succeeded");

        await doctorPage.GetByTestId("end-call").ClickAsync();
        await patientPage.GetByTestId("call-summary").WaitForAsync(new() { Timeout = 20_000 });
    }
}
