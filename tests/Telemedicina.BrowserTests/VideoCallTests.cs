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
        var doctor = await Scenario.VerifiedDoctorAsync(silo2, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(silo1);
        var booked = await Scenario.BookNextSlotAsync(silo1, patient, doctor);

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var doctorPage = await (await Browser.ContextAsync(browser)).NewPageAsync();
        var patientPage = await (await Browser.ContextAsync(browser)).NewPageAsync();

        await CallPage.LoginAsync(doctorPage, silo2.BaseUrl, doctor.Email, doctor.Password, "medico");
        await CallPage.LoginAsync(patientPage, silo1.BaseUrl, patient.Email, patient.Password, "paciente");

        // Patient enters the consultation on silo 1.
        var appointment = patientPage.Locator($"[data-testid='appointment-item'][data-appointment-id='{booked.AppointmentId}']");
        await appointment.GetByTestId("enter-call").ClickAsync();
        await patientPage.Locator("[data-page='consulta']").WaitForAsync();

        // Doctor, on silo 2, is notified in real time and accepts.
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
    }
}
