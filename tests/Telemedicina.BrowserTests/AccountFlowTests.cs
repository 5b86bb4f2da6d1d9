using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// The account life of a new patient in the product's own UI: register, confirm the e-mail from the
/// link that was sent, enable TOTP 2FA (10 recovery codes), sign out, and sign in again with a code.
/// </summary>
public sealed class AccountFlowTests(ClusterFixture fixture)
{
    [Fact]
    public async Task NewPatient_RegistersConfirmsEnables2fa_AndSignsInWithATotpCode()
    {
        var ct = TestContext.Current.CancellationToken;
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        var email = $"conta-{Guid.NewGuid():N}"[..18] + "@example.test";
        const string password = "Bicicleta-Azul-no-Parque-2026";

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await (await Browser.ContextAsync(browser)).NewPageAsync();

        await page.GotoAsync(new Uri(baseUrl, "/#/cadastro").ToString());
        await page.GetByTestId("register-name").FillAsync("Maria das Dores Teste");
        await page.GetByTestId("register-email").FillAsync(email);
        await page.GetByTestId("register-password").FillAsync(password);
        await page.GetByTestId("register-submit").ClickAsync();
        try
        {
            await page.GetByTestId("register-done").WaitForAsync(new() { Timeout = 20_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail("registration did not complete: " + await page.Locator("main, body").First.InnerTextAsync());
        }

        // Unconfirmed: the account cannot sign in to book yet... the link in the e-mail confirms it.
        var link = await fixture.Cluster.Outbox.WaitForLinkAsync(email, "confirm-email", TimeSpan.FromSeconds(30));
        await page.GotoAsync(new Uri(baseUrl, "/" + link.Fragment).ToString());
        await page.GetByTestId("email-confirmed").WaitForAsync(new() { Timeout = 20_000 });

        await CallPage.LoginAsync(page, baseUrl, email, password, "paciente");
        await page.GotoAsync(new Uri(baseUrl, "/#/perfil").ToString());
        await page.GetByTestId("twofactor-setup").ClickAsync();
        var secret = (await page.GetByTestId("twofactor-secret").TextContentAsync())!.Trim();
        await page.GetByTestId("twofactor-code").FillAsync(await TelemedicinaApi.NextTotpAsync(secret, ct: ct));
        await page.GetByTestId("twofactor-enable").ClickAsync();
        await page.GetByTestId("recovery-codes").WaitForAsync(new() { Timeout = 20_000 });
        Assert.Equal(10, await page.GetByTestId("recovery-codes").Locator("li").CountAsync());

        await page.GetByTestId("logout").ClickAsync();
        await page.Locator("[data-page='login']").WaitForAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
        await page.GetByTestId("totp").FillAsync(await TelemedicinaApi.NextTotpAsync(secret, ct: ct));
        await page.GetByTestId("login-submit").ClickAsync();
        await page.Locator("[data-page='paciente']").WaitForAsync(new() { Timeout = 20_000 });
    }
}
