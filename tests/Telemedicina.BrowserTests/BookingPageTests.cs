using Microsoft.Playwright;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// Booking in the product's UI: a slot is chosen, then confirmed; a refusal is shown beside the choice, in view, with the
/// way to fix it (a patient without the telemedicine consent is sent to give it), and once fixed the booking goes through.
/// </summary>
public sealed class BookingPageTests(ClusterFixture fixture)
{
    [Fact]
    public async Task APatientChoosesASlot_ConfirmsIt_AndARefusalShowsInViewWithTheWayToFixIt()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        var patient = await api.RegisterPatientAsync();

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");
        await page.GetByTestId("doctor-search").FillAsync(doctor.FullName);
        await page.Locator($"[data-testid='doctor-item'][data-doctor-id='{doctor.Id}']").ClickAsync();

        // Choosing a slot books nothing yet; the last slot of the week is far down the page.
        var slot = page.GetByTestId("slot-item").Last;
        var startsAt = await slot.GetAttributeAsync("data-starts-at");
        await slot.ClickAsync();
        Assert.Empty(await api.SendAsync<Appointment[]>(HttpMethod.Get, "/api/v1/scheduling/appointments?role=patient", null, patient.AccessToken));

        // Without the consent: refused where the patient is looking, with the way to give it.
        await page.GetByTestId("book-confirm").ClickAsync();
        await Assertions.Expect(page.GetByTestId("book-error")).ToBeInViewportAsync();
        Assert.Contains("consentimento", await page.GetByTestId("book-error").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("#/privacidade", await page.GetByTestId("go-consent").GetAttributeAsync("href"));

        await api.GrantConsentAsync(patient);
        await slot.ClickAsync();
        await page.GetByTestId("book-confirm").ClickAsync();
        await page.GetByTestId("book-done").WaitForAsync(new() { Timeout = 15_000 });
        var booked = Assert.Single(await api.SendAsync<Appointment[]>(HttpMethod.Get, "/api/v1/scheduling/appointments?role=patient", null, patient.AccessToken));
        Assert.Equal(DateTimeOffset.Parse(startsAt!, System.Globalization.CultureInfo.InvariantCulture), booked.StartsAt);
    }
}
