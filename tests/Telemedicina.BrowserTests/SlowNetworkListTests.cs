using Microsoft.Playwright;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// Lists on a slow or broken network. Answers come back out of order and sometimes not at all: a page shows the answer
/// to what was asked last, and a refresh that fails keeps what is on screen and says so instead of failing silently.
/// </summary>
public sealed class SlowNetworkListTests(ClusterFixture fixture)
{
    [Fact]
    public async Task APatientTapsOneDoctorThenAnother_AndTheFirstDoctorsLateSlotsDoNotReplaceTheSecondsOnes()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var slow = await VerifiedDoctorAsync(api, $"Dra. Lenta {tag}");
        var fast = await VerifiedDoctorAsync(api, $"Dr. Rápido {tag}");
        var patient = await Scenario.ConsentingPatientAsync(api);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var uncaught = new List<string>();
        page.PageError += (_, error) => uncaught.Add(error);
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");
        await page.GetByTestId("doctor-search").FillAsync(tag);
        await page.GetByTestId("doctor-item").Nth(1).WaitForAsync(new() { Timeout = 15_000 });

        // The first doctor's slots answer two seconds late.
        await page.RouteAsync(url => url.Contains($"/doctors/{slow.Id}/slots", StringComparison.Ordinal), async route =>
        {
            await Task.Delay(2_000);
            await route.ContinueAsync();
        });
        var slowAnswered = page.WaitForRequestFinishedAsync(new() { Predicate = r => r.Url.Contains($"/doctors/{slow.Id}/slots", StringComparison.Ordinal), Timeout = 15_000 });

        await page.Locator($"[data-testid='doctor-item'][data-doctor-id='{slow.Id}']").ClickAsync();
        await page.Locator($"[data-testid='doctor-item'][data-doctor-id='{fast.Id}']").ClickAsync();
        var heading = page.Locator(".booking h2");
        await Assertions.Expect(heading).ToHaveTextAsync($"Horários de {fast.FullName}", new() { Timeout = 10_000 });

        // Once the late answer is in (and the page has had the time to handle it), the second doctor's slots are still shown.
        await slowAnswered;
        await page.WaitForTimeoutAsync(500);
        Assert.Equal($"Horários de {fast.FullName}", await heading.InnerTextAsync());
        await page.GetByTestId("slot-item").First.ClickAsync();
        Assert.Contains(fast.FullName, await page.GetByTestId("book-choice").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Empty(uncaught);
    }

    [Fact]
    public async Task ADoctorsAgendaThatCannotRefresh_StaysOnScreenWithANotice_AndTheNextRefreshClearsIt()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var (doctor, _, booked) = await Scenario.BookedPairAsync(api, api, fixture.Admin);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var uncaught = new List<string>();
        page.PageError += (_, error) => uncaught.Add(error);
        await CallPage.LoginAsync(page, baseUrl, doctor.Email, doctor.Password, "medico");
        var appointment = page.Locator($"[data-testid='appointment-item'][data-appointment-id='{booked.AppointmentId}']");
        await appointment.WaitForAsync(new() { Timeout = 15_000 });

        // The network drops the agenda's requests; switching the period asks for it again.
        const string agendaRequests = "**/api/v1/scheduling/appointments?role=doctor*";
        await page.RouteAsync(agendaRequests, route => route.AbortAsync("internetdisconnected"));
        await page.GetByLabel("Período").SelectOptionAsync("day");
        var notice = page.GetByTestId("agenda-status");
        await Assertions.Expect(notice).ToContainTextAsync("Não foi possível atualizar a agenda", new() { Timeout = 10_000 });
        Assert.True(await appointment.IsVisibleAsync(), "the agenda already shown stays on screen");

        // Back online, the next refresh clears the notice.
        await page.UnrouteAsync(agendaRequests);
        await page.GetByLabel("Período").SelectOptionAsync("week");
        await Assertions.Expect(notice).ToBeEmptyAsync(new() { Timeout = 10_000 });
        await Assertions.Expect(appointment).ToBeVisibleAsync();
        Assert.Empty(uncaught);
    }

    [Fact]
    public async Task ADoctorsAgendaThatHasNotChanged_IsNotRedrawnByItsRefresh_AndAChangeIsShownAtTheNext()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var (doctor, _, first) = await Scenario.BookedPairAsync(api, api, fixture.Admin);
        var second = await Scenario.BookNextSlotAsync(api, await Scenario.ConsentingPatientAsync(api), doctor);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var uncaught = new List<string>();
        page.PageError += (_, error) => uncaught.Add(error);
        // The page's clock runs on, and the test jumps it past the agenda's 30 s refresh instead of waiting for it.
        await page.Clock.InstallAsync();
        await CallPage.LoginAsync(page, baseUrl, doctor.Email, doctor.Password, "medico");
        var firstItem = page.Locator($"[data-testid='appointment-item'][data-appointment-id='{first.AppointmentId}']");
        var secondItem = page.Locator($"[data-testid='appointment-item'][data-appointment-id='{second.AppointmentId}']");
        await secondItem.WaitForAsync(new() { Timeout = 15_000 });

        // A keyboard user is on the first appointment's "Cancelar": a refresh that finds nothing new leaves it there.
        const string agenda = "/api/v1/scheduling/appointments?role=doctor";
        await ListRefresh.AssertAnUnchangedRefreshKeepsAsync(page, firstItem, "cancel-appointment", agenda);

        // The second appointment is cancelled elsewhere (the doctor's phone): the next refresh gets the new list (200) and
        // draws it.
        using (var cancelled = await api.SendAsync(HttpMethod.Post, $"/api/v1/scheduling/appointments/{second.AppointmentId}/cancel", new { reason = "Imprevisto" }, doctor.AccessToken))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, cancelled.StatusCode);
        }

        var changed = ListRefresh.NextAsync(page, agenda);
        await page.Clock.FastForwardAsync("00:31");
        Assert.Equal(200, (await changed).Status);
        await Assertions.Expect(secondItem).ToHaveAttributeAsync("data-status", "cancelled", new() { Timeout = 10_000 });
        Assert.Empty(uncaught);
    }

    private async Task<TestUser> VerifiedDoctorAsync(TelemedicinaApi api, string name)
    {
        var doctor = await api.RegisterDoctorAsync(name);
        await api.VerifyDoctorAsync(fixture.Admin, doctor.Id);
        await api.SetAllDayAvailabilityAsync(doctor);
        return doctor;
    }
}
