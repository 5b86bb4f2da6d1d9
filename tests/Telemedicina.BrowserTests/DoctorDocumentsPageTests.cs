using Microsoft.Playwright;

namespace Telemedicina.BrowserTests;

/// <summary>
/// A new doctor sends the credential documents from the page (there was no way to but the API, and the admin's
/// "Ver documentos" said none were sent): a file of another kind is refused before it is sent, a PDF goes through,
/// is listed on the doctor's page and is what the team sees. Once verified, the page no longer asks for the CRM.
/// </summary>
public sealed class DoctorDocumentsPageTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ANewDoctor_SendsTheCrmFromThePage_AndTheTeamSeesIt()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await api.RegisterDoctorAsync();

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var uploads = 0;
        page.Request += (_, request) =>
        {
            if (request.Method == "POST" && request.Url.Contains("/api/v1/identity/doctors/me/documents", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref uploads);
            }
        };
        await CallPage.LoginAsync(page, baseUrl, doctor.Email, doctor.Password, "medico");
        await Assertions.Expect(page.GetByTestId("verification-status")).ToContainTextAsync("Documentos para verificação");
        await page.Locator("[data-testid='my-documents'][aria-busy='false']").WaitForAsync();
        await Assertions.Expect(page.GetByTestId("my-documents")).ToContainTextAsync("Nenhum documento enviado");

        await page.GetByTestId("document-file").SetInputFilesAsync(new FilePayload { Name = "crm.docx", MimeType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Buffer = [1, 2, 3] });
        await page.GetByTestId("document-send").ClickAsync();
        await Assertions.Expect(page.GetByTestId("document-status")).ToContainTextAsync("não é PDF, PNG ou JPEG");
        Assert.Equal(0, uploads);

        var pdf = "%PDF-1.4\n% CRM 123456-SP\n%%EOF\n"u8.ToArray();
        await page.GetByTestId("document-file").SetInputFilesAsync(new FilePayload { Name = "CRM São Paulo.pdf", MimeType = "application/pdf", Buffer = pdf });
        await page.GetByTestId("document-send").ClickAsync();
        await Assertions.Expect(page.GetByTestId("document-status")).ToContainTextAsync("enviado", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("my-document")).ToContainTextAsync("CRM São Paulo.pdf");
        Assert.Equal(1, uploads);

        var seen = Assert.Single(await api.SendAsync<DocumentSeen[]>(HttpMethod.Get, $"/api/v1/admin/doctors/{doctor.Id}/documents", null, fixture.Admin.AccessToken));
        Assert.Equal(("CRM São Paulo.pdf", "application/pdf", (long)pdf.Length), (seen.FileName, seen.ContentType, seen.SizeBytes));
        using var file = await api.SendAsync(HttpMethod.Get, $"/api/v1/admin/doctors/{doctor.Id}/documents/{seen.Id}", null, fixture.Admin.AccessToken);
        Assert.Equal(pdf, await file.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Envie a carteira do CRM", await page.GetByTestId("documents-intro").InnerTextAsync());

        // Once the team has verified the CRM, the doctor is no longer asked to send it (it used to say so forever).
        await api.VerifyDoctorAsync(fixture.Admin, doctor.Id);

        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("documents-intro")).ToContainTextAsync("Seu CRM foi confirmado");
        await Assertions.Expect(page.GetByTestId("documents-intro")).Not.ToContainTextAsync("Envie a carteira");
        await Assertions.Expect(page.GetByTestId("verification-status")).ToBeEmptyAsync();
        await Assertions.Expect(page.GetByTestId("my-document")).ToContainTextAsync("CRM São Paulo.pdf");
    }

    private sealed record DocumentSeen(Guid Id, string FileName, string ContentType, long SizeBytes);
}
