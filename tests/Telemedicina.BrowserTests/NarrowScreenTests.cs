using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// Every page of every role on the narrowest phone still sold (320 px wide): nothing makes the page scroll sideways,
/// where a patient on a small phone would lose the end of a line or a button. Each page is shown with content (an
/// appointment, a doctor's slots, the admin's account list), as a user meets it.
/// </summary>
public sealed class NarrowScreenTests(ClusterFixture fixture)
{
    private const int Width = 320;

    [Fact]
    public async Task EveryPage_FitsA320PxScreen_WithoutScrollingSideways()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(api);
        var now = DateTimeOffset.UtcNow;
        var slots = await api.SlotsAsync(patient, doctor.Id, now.AddDays(2), now.AddDays(3));
        var booked = await api.BookAsync(patient, doctor.Id, slots[0].StartsAt);

        // The doctor reads the appointment: the patient's access report has a row (a table of four columns).
        using (var read = await api.SendAsync(HttpMethod.Get, $"/api/v1/scheduling/appointments/{booked.AppointmentId}", null, doctor.AccessToken))
        {
            read.EnsureSuccessStatusCode();
        }

        await using var browser = await BrowserSession.StartAsync();
        var overflows = new List<string>();

        async Task CheckAsync(Microsoft.Playwright.IPage page, string what)
        {
            await page.WaitForLoadStateAsync(Microsoft.Playwright.LoadState.NetworkIdle);
            var wide = await page.EvaluateAsync<string>(SidewaysMeasure);
            if (wide.Length > 0)
            {
                overflows.Add($"{what}: {wide}");
            }
        }

        async Task<Microsoft.Playwright.IPage> NewPageAsync()
        {
            var page = await browser.NewPageAsync();
            await page.SetViewportSizeAsync(Width, 640);
            return page;
        }

        // Signed out.
        var guest = await NewPageAsync();
        foreach (var hash in new[] { "login", "cadastro", "esqueci-senha" })
        {
            await guest.GotoAsync(new Uri(baseUrl, $"/#/{hash}").ToString());
            await guest.Locator($"[data-page='{hash}']").WaitForAsync();
            await CheckAsync(guest, hash);
        }

        // The patient: the list with the appointment, a doctor's slots to book, the profile and the privacy page.
        var patientPage = await NewPageAsync();
        await CallPage.LoginAsync(patientPage, baseUrl, patient.Email, patient.Password, "paciente");
        await patientPage.GetByTestId("appointment-item").First.WaitForAsync();
        await CheckAsync(patientPage, "paciente");
        await patientPage.GetByTestId("doctor-search").FillAsync(doctor.FullName);
        await patientPage.Locator($"[data-testid='doctor-item'][data-doctor-id='{doctor.Id}']").ClickAsync();
        await patientPage.GetByTestId("slot-item").First.ClickAsync();
        await CheckAsync(patientPage, "paciente, booking");
        await VisitAsync(patientPage, "perfil");
        await patientPage.GotoAsync(new Uri(baseUrl, "/#/privacidade").ToString());
        await patientPage.Locator("[data-testid='access-report'] tbody tr[data-count]").First.WaitForAsync();
        await CheckAsync(patientPage, "privacidade, with an access");

        // The doctor: the agenda with the appointment, the profile and the privacy page.
        var doctorPage = await NewPageAsync();
        await CallPage.LoginAsync(doctorPage, baseUrl, doctor.Email, doctor.Password, "medico");
        await doctorPage.GetByTestId("appointment-item").First.WaitForAsync();
        await CheckAsync(doctorPage, "medico");
        await VisitAsync(doctorPage, "perfil", "privacidade");

        // The admin: every account, the profile and the privacy page.
        var adminPage = await NewPageAsync();
        await CallPage.LoginDemoAdminAsync(adminPage, baseUrl, api, fixture.Admin);
        await adminPage.GetByTestId("admin-role").SelectOptionAsync("");
        await adminPage.GetByTestId("admin-status").SelectOptionAsync("");
        await adminPage.GetByTestId("admin-search").ClickAsync();
        await adminPage.GetByTestId("admin-user").First.WaitForAsync();
        await CheckAsync(adminPage, "admin");
        await VisitAsync(adminPage, "perfil", "privacidade");

        Assert.True(overflows.Count == 0, $"pages wider than {Width} px:\n{string.Join('\n', overflows)}");

        async Task VisitAsync(Microsoft.Playwright.IPage page, params string[] hashes)
        {
            foreach (var hash in hashes)
            {
                await page.GotoAsync(new Uri(baseUrl, $"/#/{hash}").ToString());
                await page.Locator($"[data-page='{hash}']").WaitForAsync();
                await CheckAsync(page, hash);
            }
        }
    }

    // The page scrolls sideways when the document is wider than the window; the elements that reach past its right
    // edge, outside any box that scrolls or clips them, say what does it.
    private const string SidewaysMeasure = """
        () => {
          if (document.documentElement.scrollWidth <= innerWidth) return '';
          const clipped = e => { for (let p = e.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o !== 'visible') return true; } return false; };
          const name = e => `${e.tagName}.${e.className}[${e.getAttribute('data-testid') ?? ''}] ${Math.round(e.getBoundingClientRect().right)}`;
          // An element past the edge, or one whose text runs out of its box (a word longer than the line).
          const past = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1
            || (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 && getComputedStyle(e).overflowX === 'visible'));
          const open = past.filter(e => !clipped(e));
          return `document ${document.documentElement.scrollWidth} px: ` + (open.length > 0 ? open : past).slice(0, 8).map(name).join(', ');
        }
        """;
}
