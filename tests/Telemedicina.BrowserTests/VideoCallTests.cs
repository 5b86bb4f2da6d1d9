using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>Real WebRTC between two headless Chromiums, signaled only through the product's hub across two silos.</summary>
public sealed class VideoCallTests(ClusterFixture fixture)
{
    [Fact]
    public async Task VideoCall_PatientOnSilo1DoctorOnSilo2_ConnectsAndDecodesVideo()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(silo2, silo1, fixture.Admin);

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var doctorPage = await (await Browser.ContextAsync(browser)).NewPageAsync();
        var patientPage = await (await Browser.ContextAsync(browser)).NewPageAsync();

        await CallPage.LoginAsync(patientPage, silo1.BaseUrl, patient.Email, patient.Password, "paciente");

        // The patient enters the waiting room on silo 1 before the doctor is even online.
        var appointment = patientPage.Locator($"[data-testid='appointment-item'][data-appointment-id='{booked.AppointmentId}']");
        await appointment.GetByTestId("enter-call").ClickAsync();
        await patientPage.Locator("[data-page='consulta']").WaitForAsync();
        await patientPage.Locator("[data-testid='counterpart-presence'][data-presence='away']").WaitForAsync(new() { Timeout = 10_000 });

        // The doctor logs in on silo 2: the patient sees them come online; the doctor sees who waits and accepts.
        await CallPage.LoginAsync(doctorPage, silo2.BaseUrl, doctor.Email, doctor.Password, "medico");
        await patientPage.Locator("[data-testid='counterpart-presence'][data-presence='online']").WaitForAsync(new() { Timeout = 15_000 });
        var incoming = doctorPage.GetByTestId("incoming-call");
        await incoming.WaitForAsync(new() { Timeout = 20_000 });
        await doctorPage.GetByTestId("accept-call").ClickAsync();
        await doctorPage.Locator("[data-page='consulta']").WaitForAsync();

        var atPatient = await CallPage.WaitForMediaAsync(patientPage, TimeSpan.FromSeconds(45));
        var atDoctor = await CallPage.WaitForMediaAsync(doctorPage, TimeSpan.FromSeconds(45));
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var laterPatient = await CallPage.StatsAsync(patientPage);
        var laterDoctor = await CallPage.StatsAsync(doctorPage);

        Assert.True(laterPatient!.FramesDecoded > atPatient.FramesDecoded, $"patient frames stalled at {atPatient.FramesDecoded}");
        Assert.True(laterDoctor!.FramesDecoded > atDoctor.FramesDecoded, $"doctor frames stalled at {atDoctor.FramesDecoded}");
        Assert.True(laterPatient.AudioSamplesReceived > atPatient.AudioSamplesReceived, $"patient hears nothing ({atPatient.AudioSamplesReceived} samples)");
        Assert.True(laterDoctor.AudioSamplesReceived > atDoctor.AudioSamplesReceived, $"doctor hears nothing ({atDoctor.AudioSamplesReceived} samples)");

        // Chat both ways, across the silos.
        await patientPage.GetByTestId("chat-input").FillAsync("Olá, doutora!");
        await patientPage.GetByTestId("chat-send").ClickAsync();
        await doctorPage.GetByTestId("chat-log").GetByText("Olá, doutora!").WaitForAsync(new() { Timeout = 10_000 });
        await doctorPage.GetByTestId("chat-input").FillAsync("Olá! Em que posso ajudar?");
        await doctorPage.GetByTestId("chat-send").ClickAsync();
        await patientPage.GetByTestId("chat-log").GetByText("Olá! Em que posso ajudar?").WaitForAsync(new() { Timeout = 10_000 });

        // The patient's quality indicator reads the connection.
        await patientPage.Locator("[data-testid='call-quality'][data-level='boa']").WaitForAsync(new() { Timeout = 15_000 });

        // The doctor ends the call: both see the summary; the appointment is completed with a duration.
        await doctorPage.GetByTestId("end-call").ClickAsync();
        await doctorPage.GetByTestId("call-summary").WaitForAsync(new() { Timeout = 15_000 });
        await patientPage.GetByTestId("call-summary").WaitForAsync(new() { Timeout = 15_000 });
        // The room completes the appointment right after it tells both sides that the call ended.
        await CallPage.WaitForAsync(async () => (await silo1.GetAppointmentAsync(patient, booked.AppointmentId)).Status == "completed", TimeSpan.FromSeconds(15));
        var completed = await silo1.GetAppointmentAsync(patient, booked.AppointmentId);
        Assert.True(completed.DurationSeconds >= 2, $"duration {completed.DurationSeconds}");

        // The call record keeps the chat and both browsers' quality reports.
        var callId = Guid.Parse(await doctorPage.EvaluateAsync<string>("() => location.hash.split('/').pop()"));
        var record = await silo2.GetCallAsync(doctor, callId);
        Assert.Equal("ended", record.Status);
        Assert.Equal(["Olá, doutora!", "Olá! Em que posso ajudar?"], record.Chat!.Select(c => c.Text));
        await CallPage.WaitForAsync(async () => (await silo2.GetCallAsync(doctor, callId)).Quality!.Count == 2, TimeSpan.FromSeconds(10));
        var quality = (await silo2.GetCallAsync(doctor, callId)).Quality!;
        Assert.All(quality.Values, q => Assert.False(q.Relay));
    }
}
