using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// Pages a user reaches by a link or a typed address that is not for them: another role's page sends them home, and a
/// room that does not exist says so, stops loading and offers the way back, with no uncaught error on the page.
/// </summary>
public sealed class NavigationTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AnotherRolesPage_GoesHome_AndAnUnknownRoom_SaysSoWithAWayBack()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(api);
        var soon = await Scenario.BookNextSlotAsync(api, patient, doctor);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var uncaught = new List<string>();
        page.PageError += (_, error) => uncaught.Add(error);
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");

        // Within 2 h of the start the patient can no longer cancel or reschedule: the page says whom to ask instead of
        // offering buttons that end in a refusal.
        var item = page.Locator($"[data-testid='appointment-item'][data-appointment-id='{soon.AppointmentId}']");
        await item.GetByTestId("changes-closed").WaitForAsync(new() { Timeout = 15_000 });
        Assert.Equal(0, await item.GetByTestId("cancel-appointment").CountAsync());
        Assert.Equal(0, await item.GetByTestId("reschedule").CountAsync());

        // The doctor's agenda is not a patient's page: home, not two 403s.
        await page.GotoAsync(new Uri(baseUrl, "/#/medico").ToString());
        // A hash change, not a page load: waited for as the page sees it (WaitForURL also waits for a load event).
        await page.WaitForFunctionAsync("() => location.hash === '#/paciente'", null, new() { Timeout = 10_000 });
        await page.Locator("[data-page='paciente']").WaitForAsync();

        await page.GotoAsync(new Uri(baseUrl, $"/#/consulta/{Guid.NewGuid()}").ToString());
        await page.GetByText("Sala não encontrada.").WaitForAsync(new() { Timeout = 15_000 });
        Assert.Equal("Não foi possível abrir a sala.", await page.GetByTestId("call-status").InnerTextAsync());
        await page.GetByTestId("room-back").ClickAsync();
        await page.Locator("[data-page='paciente']").WaitForAsync(new() { Timeout = 10_000 });
        Assert.Empty(uncaught);
    }

    /// <summary>
    /// The Orleans dashboard is for admins, who sign in to the web app with a bearer token the dashboard page cannot send:
    /// the profile's "Operação" card exchanges it for the /ops cookie and opens the dashboard.
    /// </summary>
    [Fact]
    public async Task AnAdmin_OpensTheClusterDashboard_FromTheProfile()
    {
        var baseUrl = fixture.Cluster.Silos[1].BaseUrl;
        using var api = fixture.Cluster.Api(1);
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await CallPage.LoginDemoAdminAsync(page, baseUrl, api, fixture.Admin);

        // The patient's telemedicine consent is not asked of an admin (nor of a doctor).
        await page.GotoAsync(new Uri(baseUrl, "/#/privacidade").ToString());
        await page.GetByTestId("consent-dataProcessing").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("consent-telemedicine").CountAsync());
        await page.GotoAsync(new Uri(baseUrl, "/#/perfil").ToString());
        await page.GetByTestId("open-dashboard").WaitForAsync();

        var dashboard = page.WaitForResponseAsync(r => r.Url.EndsWith("/ops/dashboard/", StringComparison.Ordinal), new() { Timeout = 20_000 });
        await page.GetByTestId("open-dashboard").ClickAsync();
        Assert.Equal(200, (await dashboard).Status);
        await page.WaitForURLAsync(url => url.EndsWith("/ops/dashboard/", StringComparison.Ordinal), new() { Timeout = 20_000 });
    }

    /// <summary>
    /// An admin locks an account while its user is signed in: the next thing the user does ends on the login page with
    /// the reason, not with a "reconnecting" banner that never clears.
    /// </summary>
    [Fact]
    public async Task ASessionEndedByTheServer_EndsOnTheLoginPageWithTheReason()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");

        // No click needed: the lock closes the page's hub connection, and its reconnect (a hub ticket asked for with a
        // token of the ended session) is refused, so the page learns it at once rather than at the next request.
        await api.SendAsync<System.Text.Json.JsonElement>(HttpMethod.Post, $"/api/v1/admin/users/{patient.Id}/lock", null, fixture.Admin.AccessToken);
        await page.Locator("[data-page='login']").WaitForAsync(new() { Timeout = 20_000 });
        var banner = page.Locator("#banner[data-testid='session-ended']");
        await banner.WaitForAsync(new() { Timeout = 10_000 });
        Assert.Equal("Sua sessão foi encerrada. Entre novamente.", await banner.InnerTextAsync());
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        Assert.Equal("session-ended", await page.Locator("#banner").GetAttributeAsync("data-testid"));
    }

    /// <summary>What a page shows when there is nothing to show, or nothing yet: a doctor being verified is told why no patient books.</summary>
    [Fact]
    public async Task APendingDoctorIsToldWhyNoOneBooks_AndASearchWithoutResultsSaysSo()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await api.RegisterDoctorAsync();
        var patient = await api.RegisterPatientAsync();
        await using var browser = await BrowserSession.StartAsync();

        var doctorPage = await browser.NewPageAsync();
        await CallPage.LoginAsync(doctorPage, baseUrl, doctor.Email, doctor.Password, "medico");
        await doctorPage.GetByTestId("verification-status").GetByText("em verificação").WaitForAsync(new() { Timeout = 10_000 });

        var patientPage = await browser.NewPageAsync();
        await CallPage.LoginAsync(patientPage, baseUrl, patient.Email, patient.Password, "paciente");
        await patientPage.GetByTestId("doctor-search").FillAsync("nenhum médico se chama assim " + Guid.NewGuid().ToString("N")[..6]);
        await patientPage.GetByTestId("no-doctors").WaitForAsync(new() { Timeout = 10_000 });
    }
}
