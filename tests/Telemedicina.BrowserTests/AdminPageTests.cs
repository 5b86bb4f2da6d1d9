using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// Administração, the admin's page: the doctors waiting for verification come first, their credential documents open
/// from there, and an approval, a lock and an unlock take effect on the accounts; an incident is registered and its
/// notices recorded; an account's audit trail opens from its row and exports; the trail's integrity is one button. Admins had only the HTTP API.
/// </summary>
public sealed class AdminPageTests(ClusterFixture fixture)
{
    private static readonly byte[] Pdf = "%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"u8.ToArray();

    [Fact]
    public async Task AnAdmin_ApprovesAPendingDoctorAfterTheirDocument_LocksAndUnlocksAPatient_RegistersAnIncident_AndChecksTheAuditTrail()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var doctor = await api.RegisterDoctorAsync($"Aaa Pendente {tag}");
        using (var upload = await api.SendFileAsync(HttpMethod.Post, "/api/v1/identity/doctors/me/documents?name=crm-frente.pdf", Pdf, "application/pdf", doctor))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }

        var patient = await api.RegisterPatientAsync($"Paciente Admin {tag}");

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var uncaught = new List<string>();
        page.PageError += (_, error) => uncaught.Add(error);
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await CallPage.LoginDemoAdminAsync(page, baseUrl, api, fixture.Admin);

        // A slow network: a search answers a second late and a doctor's document list a second and a half late, so the
        // rows of the queue the page opens on are still there when a document list is asked for, and the search's rows
        // replace them before it answers.
        await page.RouteAsync(url => url.Contains("/api/v1/admin/users?", StringComparison.Ordinal) && url.Contains("q=", StringComparison.Ordinal), async route =>
        {
            await Task.Delay(1_000);
            await route.ContinueAsync();
        });
        await page.RouteAsync(url => url.EndsWith("/documents", StringComparison.Ordinal), async route =>
        {
            await Task.Delay(1_500);
            await route.ContinueAsync();
        });

        // The page opens on the doctors waiting for verification (by name: this one sorts first); the new doctor is
        // among them. A search by name finds them again.
        var doctorRow = page.Locator($"[data-testid='admin-user'][data-user-id='{doctor.Id}']");
        await doctorRow.WaitForAsync(new() { Timeout = 15_000 });
        await page.GetByTestId("admin-q").FillAsync(tag);
        await SearchAsync(page);
        Assert.Equal(1, await page.GetByTestId("admin-user").CountAsync());
        Assert.Equal("Aguardando verificação", await doctorRow.GetByTestId("admin-user-status").InnerTextAsync());

        // The document the doctor sent opens from the row, with the admin's token (the server records the read).
        await doctorRow.GetByTestId("admin-documents").ClickAsync();
        var document = doctorRow.GetByTestId("admin-document");
        await document.WaitForAsync(new() { Timeout = 10_000 });
        Assert.Equal("crm-frente.pdf", await document.InnerTextAsync());
        var download = page.WaitForResponseAsync(r => r.Url.Contains($"/api/v1/admin/doctors/{doctor.Id}/documents/", StringComparison.Ordinal), new() { Timeout = 10_000 });
        var opened = page.Context.WaitForPageAsync(new() { Timeout = 10_000 });
        await document.ClickAsync();
        var served = await download;
        Assert.Equal(200, served.Status);
        Assert.Equal("application/pdf", served.Headers["content-type"]);
        Assert.StartsWith("blob:", (await opened).Url, StringComparison.Ordinal);

        // Approving it (after the confirmation) takes the doctor out of the queue and makes the account active.
        await doctorRow.GetByTestId("admin-verify").ClickAsync();
        await doctorRow.WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Detached, Timeout = 10_000 });
        Assert.Equal("active", await StatusAsync(api, doctor));

        // The same name in the queue now finds nothing: the page says which filters hide it, and searches without them.
        var searchAll = page.GetByTestId("admin-search-all");
        await searchAll.WaitForAsync(new() { Timeout = 10_000 });
        Assert.Contains("(Médicos(as), Aguardando verificação)", await page.GetByTestId("admin-summary").InnerTextAsync(), StringComparison.Ordinal);
        await searchAll.ClickAsync();
        await page.Locator("[data-testid='admin-users'][aria-busy='false']").WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Attached, Timeout = 15_000 });
        Assert.Equal(("", ""), (await page.GetByTestId("admin-role").InputValueAsync(), await page.GetByTestId("admin-status").InputValueAsync()));
        Assert.Equal(2, await page.GetByTestId("admin-user").CountAsync());

        // Any account, by name: a lock ends the patient's sessions and an unlock gives the account back.
        var patientRow = page.Locator($"[data-testid='admin-user'][data-user-id='{patient.Id}']");
        await patientRow.GetByTestId("admin-lock").ClickAsync();
        await patientRow.GetByTestId("admin-unlock").WaitForAsync(new() { Timeout = 10_000 });
        Assert.Equal("Bloqueada", await patientRow.GetByTestId("admin-user-status").InnerTextAsync());
        using (var locked = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        }

        await patientRow.GetByTestId("admin-unlock").ClickAsync();
        await patientRow.GetByTestId("admin-lock").WaitForAsync(new() { Timeout = 10_000 });
        Assert.Equal("Ativa", await patientRow.GetByTestId("admin-user-status").InnerTextAsync());
        await api.LoginAsync(patient);

        // For an LGPD request: the patient's row opens the trail of accesses to their data, the admin's lock among them
        // with the admin's name, and the export downloads those entries with the chain's hashes.
        await patientRow.GetByTestId("admin-trail-subject").ClickAsync();
        await page.Locator("[data-testid='audit-entries'][aria-busy='false']").WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Attached, Timeout = 15_000 });
        Assert.Equal(patient.Id.ToString(), await page.GetByTestId("audit-subject").InputValueAsync());
        Assert.Contains(patient.FullName, await page.GetByTestId("audit-chosen").InnerTextAsync(), StringComparison.Ordinal);
        var lockEntry = page.Locator("[data-testid='audit-entry'][data-resource='AccountLock']");
        await lockEntry.First.WaitForAsync(new() { Timeout = 10_000 });
        Assert.Equal(1, await lockEntry.CountAsync());
        Assert.Equal(fixture.Admin.FullName, await lockEntry.GetByTestId("audit-entry-actor").InnerTextAsync());
        Assert.Contains("Bloqueou a conta", await lockEntry.InnerTextAsync(), StringComparison.Ordinal);
        // The sentence is Portuguese ("Alterou o bloqueio da conta" before); the trail's code is kept out of it, on hover.
        Assert.DoesNotContain("AccountLock", await lockEntry.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("AccountLock", await lockEntry.GetByTestId("audit-entry-what").GetAttributeAsync("title"));
        Assert.Contains($"Titular: {patient.FullName}", await lockEntry.InnerTextAsync(), StringComparison.Ordinal);

        var downloading = page.WaitForDownloadAsync(new() { Timeout = 15_000 });
        await page.GetByTestId("audit-export").ClickAsync();
        var downloaded = await downloading;
        Assert.EndsWith(".ndjson", downloaded.SuggestedFilename, StringComparison.Ordinal);
        var exported = (await File.ReadAllLinesAsync(await downloaded.PathAsync())).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.NotEmpty(exported);
        Assert.All(exported, entry => Assert.Equal(patient.Id, entry.GetProperty("subjectId").GetGuid()));
        Assert.All(exported, entry => Assert.Matches("^[0-9a-f]{64}$", entry.GetProperty("hash").GetString()));
        Assert.Contains(exported, entry => entry.GetProperty("resourceType").GetString() == "AccountUnlock");

        // An incident is registered with its deadline, and the notice to the ANPD is recorded once, as it was.
        await page.GetByText("Registrar novo incidente").ClickAsync();
        await page.GetByTestId("incident-title").FillAsync($"Planilha exposta {tag}");
        await page.GetByTestId("incident-description").FillAsync("Uma planilha de agenda ficou acessível por um link público.");
        await page.GetByTestId("incident-categories").FillAsync("dados de contato, dados de agenda");
        await page.GetByTestId("incident-submit").ClickAsync();
        var incident = page.Locator("[data-testid='incident']").Filter(new() { HasText = $"Planilha exposta {tag}" });
        await incident.GetByTestId("incident-deadline").WaitForAsync(new() { Timeout = 10_000 });
        await incident.GetByTestId("incident-anpd").ClickAsync();
        await incident.GetByText("Comunicação à ANPD:").WaitForAsync(new() { Timeout = 10_000 });
        Assert.Equal(0, await incident.GetByTestId("incident-anpd").CountAsync());
        var id = Guid.Parse((await incident.GetAttributeAsync("data-incident-id"))!);
        var recorded = await api.SendAsync<JsonElement>(HttpMethod.Get, $"/api/v1/admin/incidents/{id}", null, fixture.Admin.AccessToken);
        Assert.Equal(["dados de contato", "dados de agenda"], recorded.GetProperty("dataCategories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(JsonValueKind.String, recorded.GetProperty("anpdNotifiedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, recorded.GetProperty("subjectsNotifiedAt").ValueKind);

        await page.GetByTestId("audit-verify").ClickAsync();
        await page.GetByTestId("audit-verify-result").GetByText("Trilha íntegra").WaitForAsync(new() { Timeout = 30_000 });
        Assert.Empty(uncaught);
    }

    [Fact]
    public async Task TheAuditTrail_FindsThePersonByEMailOrName_OffersAChoiceForANameSharedByTwo_AndSaysWhenNoOneMatches()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var single = await api.RegisterPatientAsync($"Titular Única {tag}");
        var first = await api.RegisterPatientAsync($"Homônima {tag}");
        var second = await api.RegisterPatientAsync($"Homônima {tag}");

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var uncaught = new List<string>();
        page.PageError += (_, error) => uncaught.Add(error);
        await CallPage.LoginDemoAdminAsync(page, baseUrl, api, fixture.Admin);
        var subject = page.GetByTestId("audit-subject");
        var chosen = page.GetByTestId("audit-chosen");
        var summary = page.GetByTestId("audit-summary");

        // An LGPD request comes with the requester's e-mail: it is enough.
        await subject.FillAsync(single.Email);
        await page.GetByTestId("audit-search").ClickAsync();
        await Assertions.Expect(subject).ToHaveValueAsync(single.Id.ToString(), new() { Timeout = 15_000 });
        await Assertions.Expect(chosen).ToHaveTextAsync($"Acessos aos dados de {single.FullName} ({single.Email}).");
        await page.Locator("[data-testid='audit-entries'][aria-busy='false']").WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Attached, Timeout = 15_000 });
        // The lookup itself is a read of the person's data by the admin, and the trail shows it.
        await Assertions.Expect(page.Locator("[data-testid='audit-entry'][data-resource='User']").First).ToBeVisibleAsync(new() { Timeout = 10_000 });

        // A name two accounts share: the page lists both and searches the one chosen.
        await subject.FillAsync($"Homônima {tag}");
        await page.GetByTestId("audit-search").ClickAsync();
        var picks = page.GetByTestId("audit-pick");
        await Assertions.Expect(picks).ToHaveCountAsync(2, new() { Timeout = 15_000 });
        Assert.Contains("2 contas para", await summary.InnerTextAsync(), StringComparison.Ordinal);
        await picks.Filter(new() { HasText = second.Email }).ClickAsync();
        await Assertions.Expect(subject).ToHaveValueAsync(second.Id.ToString(), new() { Timeout = 15_000 });
        await Assertions.Expect(chosen).ToHaveTextAsync($"Acessos aos dados de {second.FullName} ({second.Email}).");
        await Assertions.Expect(summary).ToContainTextAsync("registro", new() { Timeout = 15_000 });
        Assert.DoesNotContain(first.Email, await summary.InnerTextAsync(), StringComparison.Ordinal);

        // No account: said, and nothing is searched.
        await subject.FillAsync($"ninguem-{tag}@teste.local");
        await page.GetByTestId("audit-search").ClickAsync();
        await Assertions.Expect(summary).ToContainTextAsync($"Nenhuma conta para \u201cninguem-{tag}@teste.local\u201d (Titular dos dados)", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("audit-entry")).ToHaveCountAsync(0);
        Assert.Equal(string.Empty, await chosen.InnerTextAsync());
        Assert.Empty(uncaught);
    }

    /// <summary>
    /// Runs the search and waits for its answer. The page loads the verification queue as it opens, and a row of that
    /// first answer would be replaced by the search's (CI once clicked "Ver documentos" on a row that was then replaced).
    /// </summary>
    private static async Task SearchAsync(Microsoft.Playwright.IPage page)
    {
        await page.GetByTestId("admin-search").ClickAsync();
        await page.Locator("[data-testid='admin-users'][aria-busy='false']").WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Attached, Timeout = 15_000 });
    }

    private async Task<string> StatusAsync(TelemedicinaApi api, TestUser user)
    {
        var found = await api.SendAsync<JsonElement>(HttpMethod.Get, $"/api/v1/admin/users?q={Uri.EscapeDataString(user.Email)}", null, fixture.Admin.AccessToken);
        return Assert.Single(found.GetProperty("items").EnumerateArray()).GetProperty("status").GetString()!;
    }
}
