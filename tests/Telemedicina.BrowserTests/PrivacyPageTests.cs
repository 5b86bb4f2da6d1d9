using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// The "Privacidade" page in the product's UI: a patient exports their data (the file downloads with
/// their own records) and then erases their account, and the page lists what the law makes us keep.
/// </summary>
public sealed class PrivacyPageTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TheAccessReport_ShowsTheSameReadRepeatedInARow_AsOneLineWithHowManyAndSinceWhen()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(api, api, fixture.Admin);
        // Newest first the trail will read: the doctor once, the admin once, the doctor three times.
        for (var i = 0; i < 3; i++)
        {
            await api.GetAppointmentAsync(doctor, booked.AppointmentId);
        }

        await api.SendAsync<object>(HttpMethod.Get, $"/api/v1/admin/appointments/{booked.AppointmentId}", null, fixture.Admin.AccessToken);
        await api.GetAppointmentAsync(doctor, booked.AppointmentId);

        await using var session = await BrowserSession.StartAsync();
        var page = await session.NewPageAsync();
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");
        await page.GotoAsync(new Uri(baseUrl, "/#/privacidade").ToString());
        var reads = page.Locator("[data-testid='access-report'] tbody tr").Filter(new() { HasText = "Consultou os dados de uma consulta" });
        await reads.First.WaitForAsync(new() { Timeout = 15_000 });

        var lines = new List<(string Who, string Count)>();
        foreach (var row in await reads.AllAsync())
        {
            lines.Add(((await row.Locator("td").Nth(1).InnerTextAsync()).Trim(), (await row.GetAttributeAsync("data-count"))!));
        }

        Assert.Equal([(doctor.FullName, "1"), (fixture.Admin.FullName, "1"), (doctor.FullName, "3")], lines);
        var repeated = reads.Nth(2).GetByTestId("access-repeated");
        Assert.Matches(new Regex(@"^\s*· 3 vezes desde \d{2}:\d{2}$"), await repeated.InnerTextAsync());
    }

    [Fact]
    public async Task Patient_DownloadsTheirExport_ThenErasesTheAccount_AndSeesWhatWasKept()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync(withPersonalData: true);
        await api.GrantConsentAsync(patient);

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await (await Browser.ContextAsync(browser)).NewPageAsync();
        var dialogs = new List<string>();
        var acceptDialogs = true;
        page.Dialog += (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            _ = acceptDialogs ? dialog.AcceptAsync() : dialog.DismissAsync();
        };
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");

        // Nothing moves under the patient's finger while the page loads: the export button is where it will stay
        // before the consents and the access report have arrived (held here), and still there once they have.
        var loads = await HoldAsync(page, new Regex("/api/v1/privacy/(consents|access-report)$"));
        await page.GotoAsync(new Uri(baseUrl, "/#/privacidade").ToString());
        var before = await page.GetByTestId("request-export").BoundingBoxAsync();
        loads.SetResult();
        await page.Locator("[data-testid='consent-telemedicine']:not([data-granted=''])").WaitForAsync();
        await page.Locator("[data-testid='access-report'] tbody tr").First.WaitForAsync();
        await page.UnrouteAllAsync();
        var after = await page.GetByTestId("request-export").BoundingBoxAsync();
        Assert.NotNull(before);
        Assert.Equal((before.X, before.Y), (after!.X, after.Y));
        Assert.Equal("true", await page.GetByTestId("consent-telemedicine").GetAttributeAsync("data-granted"));

        // The access report reads in Portuguese: no audit code (read, UserContact, notification) reaches the patient.
        var report = await page.GetByTestId("access-report").Locator("tbody").InnerTextAsync();
        Assert.DoesNotMatch(new Regex(@"\b(read|update|create|notification|care|administration|self-service)\b|[a-z][A-Z]"), report);
        Assert.Matches(new Regex("Consultou|Alterou|Criou|Ninguém"), report);

        // On a slow network the button says the request is on its way and takes no second press meanwhile.
        var release = await HoldAsync(page, new Regex("/api/v1/privacy/export$"));
        var response = page.WaitForResponseAsync(
            r => r.Request.Method == "POST" && r.Url.EndsWith("/api/v1/privacy/export", StringComparison.Ordinal), new() { Timeout = 45_000 });
        IResponse requested;
        try
        {
            await page.GetByTestId("request-export").ClickAsync();
            await page.Locator("[data-testid='request-export'][disabled]").WaitForAsync(new() { Timeout = 10_000 });
            Assert.Contains("Enviando", await page.GetByTestId("export-status").InnerTextAsync(), StringComparison.Ordinal);
            release.SetResult();
            requested = await response;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nurl: {page.Url}\nstatus: {string.Join(" | ", await page.GetByTestId("export-status").AllInnerTextsAsync())}\nconsole:\n{Browser.Console(page)}", e);
        }

        Assert.Equal((int)HttpStatusCode.Accepted, requested.Status);
        try
        {
            await page.Locator("[data-testid='exports'] li[data-status='ready']").First.WaitForAsync(new() { Timeout = 60_000 });
        }
        catch (TimeoutException e)
        {
            // Which side is stuck: the server's record of the export, or the page's view of it.
            using var exports = await api.SendAsync(HttpMethod.Get, "/api/v1/privacy/exports", null, patient.AccessToken);
            var shown = await page.Locator("[data-testid='exports']").InnerTextAsync();
            throw new TimeoutException($"{e.Message}\nserver: {(int)exports.StatusCode} {await exports.Content.ReadAsStringAsync()}\npage: {shown}", e);
        }

        await page.Locator("[data-testid='request-export']:not([disabled])").WaitForAsync();

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("download-export").First.ClickAsync());
        Assert.Equal("meus-dados.json", download.SuggestedFilename);
        var bundle = await File.ReadAllTextAsync((await download.PathAsync())!, TestContext.Current.CancellationToken);
        Assert.Contains(patient.Email, bundle, StringComparison.Ordinal);
        Assert.Contains(patient.Id.ToString(), bundle, StringComparison.Ordinal);

        // Taking the telemedicine consent back ends a call under way: the page says so and asks first.
        acceptDialogs = false;
        await page.GetByTestId("consent-telemedicine-toggle").ClickAsync();
        Assert.Contains("encerra na hora uma consulta em andamento", Assert.Single(dialogs), StringComparison.Ordinal);
        Assert.Equal("true", await page.GetByTestId("consent-telemedicine").GetAttributeAsync("data-granted"));
        acceptDialogs = true;
        await page.GetByTestId("consent-telemedicine-toggle").ClickAsync();
        await page.Locator("[data-testid='consent-telemedicine'][data-granted='false']").WaitForAsync(new() { Timeout = 10_000 });
        dialogs.Clear();

        // A double click asks once and erases once (it asked twice and sent two erasures).
        var erasures = 0;
        page.Request += (_, request) =>
        {
            if (request.Method == "POST" && request.Url.EndsWith("/api/v1/privacy/erasure", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref erasures);
            }
        };
        await page.GetByTestId("erasure-password").FillAsync(patient.Password);
        await page.GetByTestId("erase-account").DblClickAsync();
        await page.GetByTestId("erasure-kept").WaitForAsync(new() { Timeout = 30_000 });
        var kept = await page.GetByTestId("erasure-kept").InnerTextAsync();
        Assert.Contains("20 anos", kept, StringComparison.Ordinal);
        Assert.Contains("auditoria", kept, StringComparison.Ordinal);

        // The session ends on this tab at once, and the answer stays to be read: no name or "Sair" in the navigation.
        await page.GetByTestId("erasure-done").WaitForAsync(new() { Timeout = 10_000 });
        Assert.Equal(0, await page.GetByTestId("logout").CountAsync());
        Assert.DoesNotContain(patient.FullName, await page.Locator(".topbar").InnerTextAsync(), StringComparison.Ordinal);

        Assert.Single(dialogs);
        Assert.Equal(1, erasures);

        // The page keeps only the answer: the erased person's consents, exports and access report stayed on it.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Conta excluída" })).ToBeFocusedAsync();
        foreach (var gone in new[] { "erase-account", "access-report", "request-export", "consent-telemedicine" })
        {
            Assert.Equal(0, await page.GetByTestId(gone).CountAsync());
        }

        using var login = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = patient.Password });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
    }

    /// <summary>Holds the page's requests to matching URLs (a slow network) until the returned source is set, 30 s at most.</summary>
    private static async Task<TaskCompletionSource> HoldAsync(IPage page, Regex url)
    {
        var release = new TaskCompletionSource();
        await page.RouteAsync(url, async route =>
        {
            await Task.WhenAny(release.Task, Task.Delay(TimeSpan.FromSeconds(30)));
            await route.ContinueAsync();
        });
        return release;
    }
}
