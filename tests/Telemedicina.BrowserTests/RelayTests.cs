using System.Text.Json;
using Microsoft.Playwright;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// TURN with the credentials the API issues: a relay-only call through the product's UI and a real
/// coturn, and expired credentials refused by that same coturn.
/// </summary>
public sealed class RelayTests(ClusterFixture fixture)
{
    [Fact]
    public async Task RelayOnlyCall_ThroughCoturnWithIssuedCredentials_Connects_AndNominatesARelayPair()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(silo2, silo1, fixture.Admin);

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var doctorPage = await (await Browser.ContextAsync(browser)).NewPageAsync();
        var patientPage = await (await Browser.ContextAsync(browser)).NewPageAsync();

        // ?relay=1 makes the product's call session use iceTransportPolicy "relay".
        await CallPage.LoginAsync(doctorPage, silo2.BaseUrl, doctor.Email, doctor.Password, "medico", "?relay=1");
        await CallPage.LoginAsync(patientPage, silo1.BaseUrl, patient.Email, patient.Password, "paciente", "?relay=1");
        await patientPage.Locator($"[data-testid='appointment-item'][data-appointment-id='{booked.AppointmentId}']").GetByTestId("enter-call").ClickAsync();
        await CallPage.PassDeviceCheckAsync(patientPage);
        await doctorPage.GetByTestId("incoming-call").WaitForAsync(new() { Timeout = 20_000 });
        await doctorPage.GetByTestId("accept-call").ClickAsync();
        await CallPage.PassDeviceCheckAsync(doctorPage);

        var atPatient = await CallPage.WaitForMediaAsync(patientPage, TimeSpan.FromSeconds(60));
        var atDoctor = await CallPage.WaitForMediaAsync(doctorPage, TimeSpan.FromSeconds(60));
        Assert.Equal("relay", atPatient.LocalCandidateType);
        Assert.Equal("relay", atDoctor.LocalCandidateType);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var later = await CallPage.StatsAsync(patientPage);
        Assert.True(later!.FramesDecoded > atPatient.FramesDecoded, "video stalled through the relay");
        await doctorPage.GetByTestId("end-call").ClickAsync();
        await patientPage.GetByTestId("call-summary").WaitForAsync(new() { Timeout = 15_000 });
    }

    [Fact]
    public async Task Coturn_AcceptsTheIssuedCredentials_AndRefusesExpiredOnes()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await Scenario.ConsentingPatientAsync(api);
        var issued = await api.SendAsync<IceServersResult>(HttpMethod.Get, "/api/v1/calls/ice-servers", null, patient.AccessToken);
        var turn = Assert.Single(issued.IceServers, s => s.Urls.Any(u => u.StartsWith("turn:", StringComparison.Ordinal)));
        Assert.StartsWith(fixture.Turn.Url, turn.Urls[0], StringComparison.Ordinal);
        Assert.EndsWith(":" + patient.Id, turn.Username, StringComparison.Ordinal);
        Assert.True(issued.TtlSeconds > 0);

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await (await Browser.ContextAsync(browser)).NewPageAsync();
        await page.GotoAsync(new Uri(api.BaseUrl, "/#/login").ToString());

        Assert.True(await RelayCandidatesAsync(page, turn.Urls[0], turn.Username!, turn.Credential!) > 0, "coturn refused the credentials the API issued");

        var (username, credential) = fixture.Turn.Credentials(patient.Id.ToString(), DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(0, await RelayCandidatesAsync(page, fixture.Turn.Url, username, credential));

        var (forgedUser, _) = fixture.Turn.Credentials(patient.Id.ToString(), DateTimeOffset.UtcNow.AddHours(1));
        Assert.Equal(0, await RelayCandidatesAsync(page, fixture.Turn.Url, forgedUser, "bm90LXRoZS1yaWdodC1wYXNzd29yZA=="));
    }

    // Gathers ICE candidates with a relay-only policy and counts the relay ones coturn allocated.
    private static async Task<int> RelayCandidatesAsync(IPage page, string url, string username, string credential)
    {
        var result = await page.EvaluateAsync<JsonElement>(
            """
            async ([url, username, credential]) => {
              const pc = new RTCPeerConnection({ iceServers: [{ urls: [url], username, credential }], iceTransportPolicy: "relay" });
              let relay = 0;
              const done = new Promise((resolve) => {
                pc.onicecandidate = (e) => { if (!e.candidate) resolve(); else if (e.candidate.type === "relay") relay++; };
                setTimeout(resolve, 10000);
              });
              pc.createDataChannel("probe");
              await pc.setLocalDescription(await pc.createOffer());
              await done;
              pc.close();
              return relay;
            }
            """,
            new object[] { url, username, credential });
        return result.GetInt32();
    }
}
