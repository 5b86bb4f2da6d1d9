using System.Text.Json;
using Microsoft.Playwright;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// The doctor's availability form shows and saves all of the availability: the buffers around each consultation, the
/// minimum notice and how far ahead the agenda is open. A save replaces the whole availability, and the form used to
/// send only the zone, the length and the weekly hours, so a save from the page reset what had been set.
/// </summary>
public sealed class DoctorAvailabilityPageTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TheFormShowsTheWholeAvailability_ASaveKeepsWhatItDoesNotChange_AndTheNoticeThatAppliesIsShown()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        await api.SendAsync<object>(HttpMethod.Put, "/api/v1/scheduling/doctors/me/availability", new
        {
            timeZone = "America/Sao_Paulo",
            slotMinutes = 30,
            bufferBeforeMinutes = 10,
            bufferAfterMinutes = 5,
            minimumNoticeMinutes = 120,
            bookingWindowDays = 60,
            weekly = Enumerable.Range(1, 5).Select(d => new { dayOfWeek = d, start = "08:00", end = "12:00" }).ToArray(),
        }, doctor.AccessToken);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var uncaught = new List<string>();
        page.PageError += (_, error) => uncaught.Add(error);
        await CallPage.LoginAsync(page, baseUrl, doctor.Email, doctor.Password, "medico");

        await Assertions.Expect(page.GetByTestId("minimum-notice")).ToHaveValueAsync("120", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("buffer-before")).ToHaveValueAsync("10");
        await Assertions.Expect(page.GetByTestId("buffer-after")).ToHaveValueAsync("5");
        await Assertions.Expect(page.GetByTestId("booking-window")).ToHaveValueAsync("60");
        await Assertions.Expect(page.GetByTestId("minimum-notice-effective")).ToHaveTextAsync("Vale agora: agendamento até 2 h antes do início.");

        // Only the length changes; everything else is saved as it was.
        await page.Locator("input[name='slotMinutes']").FillAsync("20");
        await page.GetByTestId("availability-save").ClickAsync();
        await page.GetByText("Disponibilidade salva.").WaitForAsync(new() { Timeout = 10_000 });
        var saved = await AvailabilityAsync(api, doctor);
        Assert.Equal(20, saved.GetProperty("slotMinutes").GetInt32());
        Assert.Equal((10, 5, 120, 60), (saved.GetProperty("bufferBeforeMinutes").GetInt32(), saved.GetProperty("bufferAfterMinutes").GetInt32(),
            saved.GetProperty("minimumNoticeMinutes").GetInt32(), saved.GetProperty("bookingWindowDays").GetInt32()));
        Assert.Equal(5, saved.GetProperty("weekly").GetArrayLength());
        Assert.Equal(120, saved.GetProperty("effectiveMinimumNoticeMinutes").GetInt32());

        // A blank notice leaves the platform's (none on this test cluster), and the window is the doctor's to set.
        await page.GetByTestId("minimum-notice").FillAsync("");
        await page.GetByTestId("booking-window").FillAsync("7");
        await page.GetByTestId("availability-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("minimum-notice-effective")).ToHaveTextAsync("Vale agora: pode-se agendar até o início da consulta.", new() { Timeout = 10_000 });
        saved = await AvailabilityAsync(api, doctor);
        Assert.Equal(JsonValueKind.Null, saved.GetProperty("minimumNoticeMinutes").ValueKind);
        Assert.Equal(7, saved.GetProperty("bookingWindowDays").GetInt32());
        Assert.Equal(0, saved.GetProperty("effectiveMinimumNoticeMinutes").GetInt32());
        Assert.Equal(10, saved.GetProperty("bufferBeforeMinutes").GetInt32());
        Assert.Empty(uncaught);
    }

    private static Task<JsonElement> AvailabilityAsync(TelemedicinaApi api, TestUser doctor) =>
        api.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/scheduling/doctors/me/availability", null, doctor.AccessToken);
}
