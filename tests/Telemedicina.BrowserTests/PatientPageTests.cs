using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// The patient's page as people use it: with the keyboard only, and on a phone. Found by an outside probe of the
/// product's UI (each of these failed before its fix).
/// </summary>
public sealed class PatientPageTests(ClusterFixture fixture)
{
    /// <summary>
    /// A keyboard user books with Tab and Enter: Enter on a slot far down the week puts the focus on "Confirmar
    /// agendamento" (above the list; it stayed on the slot, 120 Shift+Tabs away), and Enter there books it. Back from
    /// the home page right after signing in stays on the home page instead of showing the login form to a signed-in user.
    /// </summary>
    [Fact]
    public async Task AKeyboardUser_ConfirmsTheChosenSlotWithEnter_AndBackAfterSigningInStaysHome()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(api);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");
        await page.GoBackAsync();
        // Polled, not awaited as a navigation: the page replaces #/login with #/paciente within the same document, and
        // whether Playwright sees that replacement as a navigation depends on timing (a change of style sheet was enough
        // to make WaitForURL wait for a "load" that never came).
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/paciente$"));
        await page.Locator("[data-page='paciente']").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("login-submit").CountAsync());

        await page.GetByTestId("doctor-search").FillAsync(doctor.FullName);
        await page.Locator($"[data-testid='doctor-item'][data-doctor-id='{doctor.Id}']").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var slot = page.GetByTestId("slot-item").Nth(40);
        var startsAt = await slot.GetAttributeAsync("data-starts-at");
        await slot.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("book-confirm")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByTestId("book-done").WaitForAsync(new() { Timeout = 15_000 });
        var booked = Assert.Single(await api.SendAsync<Appointment[]>(HttpMethod.Get, "/api/v1/scheduling/appointments?role=patient", null, patient.AccessToken));
        Assert.Equal(DateTimeOffset.Parse(startsAt!, System.Globalization.CultureInfo.InvariantCulture), booked.StartsAt);
    }

    /// <summary>
    /// The doctors' list is redrawn when a search answers. A keyboard user who tabbed into it before stays on the same
    /// doctor, and Enter shows that doctor's slots; when the answer leaves the doctor out, the focus goes back to the
    /// search field. It fell to the page: Enter did nothing (CI, the keyboard booking test above under load).
    /// </summary>
    [Fact]
    public async Task AKeyboardUserInTheDoctorsList_StaysOnTheDoctorWhenTheSearchAnswers()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(api);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");
        var search = page.GetByTestId("doctor-search");
        await search.FillAsync(doctor.FullName);
        await Assertions.Expect(page.GetByTestId("doctor-item")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        var item = page.Locator($"[data-testid='doctor-item'][data-doctor-id='{doctor.Id}']");
        await item.FocusAsync();

        // The search answers again while the focus is on the doctor: the same query, typed again (the field is not focused).
        await SearchAgainAsync(doctor.FullName + " ");
        Assert.Equal(doctor.Id.ToString(), await page.EvaluateAsync<string?>("() => document.activeElement?.dataset.doctorId ?? null"));
        await page.Keyboard.PressAsync("Enter");
        await page.GetByTestId("slot-item").First.WaitForAsync(new() { Timeout = 15_000 });

        // An answer without that doctor: back to the search field.
        await item.FocusAsync();
        await SearchAgainAsync("nenhum médico se chama assim " + Guid.NewGuid().ToString("N")[..6]);
        await page.GetByTestId("no-doctors").WaitForAsync();
        Assert.Equal("doctor-search", await page.EvaluateAsync<string?>("() => document.activeElement?.dataset.testid ?? null"));

        async Task SearchAgainAsync(string text)
        {
            var old = await item.ElementHandleAsync();
            await search.EvaluateAsync("(field, text) => { field.value = text; field.dispatchEvent(new Event('input')); }", text);
            await page.WaitForFunctionAsync("button => !button.isConnected", old, new() { Timeout = 15_000 });
        }
    }

    /// <summary>
    /// On a phone, "Remarcar" in the list of appointments takes the patient up to the slots (they opened 1,200 px
    /// above the screen and nothing seemed to happen); the old appointment then says when it was moved to in the
    /// patient's own time, not as a UTC timestamp; and cancelling says so instead of leaving "Consulta remarcada" up.
    /// </summary>
    [Fact]
    public async Task OnAPhone_RescheduleShowsTheSlots_TheMoveReadsInLocalTime_AndACancelSaysSo()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(api);
        var now = DateTimeOffset.UtcNow;
        var slots = await api.SlotsAsync(patient, doctor.Id, now.AddDays(2), now.AddDays(3));
        await api.BookAsync(patient, doctor.Id, slots[0].StartsAt);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await page.SetViewportSizeAsync(390, 844);
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");
        var reschedule = page.GetByTestId("reschedule");
        await reschedule.ScrollIntoViewIfNeededAsync();
        await reschedule.ClickAsync();

        var heading = page.GetByTestId("booking-heading");
        await Assertions.Expect(heading).ToContainTextAsync("Remarcar com");
        await Assertions.Expect(heading).ToBeInViewportAsync();
        await Assertions.Expect(heading).ToBeFocusedAsync();

        await page.GetByTestId("slot-item").Nth(60).ClickAsync();
        await Assertions.Expect(page.GetByTestId("book-confirm")).ToBeInViewportAsync();
        await page.GetByTestId("book-confirm").ClickAsync();
        await Assertions.Expect(page.GetByTestId("book-done")).ToContainTextAsync("remarcada");

        var moved = page.Locator("[data-testid='appointment-item'][data-status='cancelled'] [data-testid='cancel-reason']");
        await moved.WaitForAsync(new() { Timeout = 15_000 });
        var reason = await moved.InnerTextAsync();
        Assert.Contains("remarcada para", reason, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"\d{4}-\d{2}-\d{2}T"), reason);
        Assert.Matches(new Regex(@"\d{1,2} de \w+ de \d{4} às \d{2}:\d{2}"), reason);

        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await page.Locator("[data-testid='appointment-item'][data-status='scheduled'] [data-testid='cancel-appointment']").ClickAsync();
        await Assertions.Expect(page.GetByTestId("cancel-done")).ToHaveTextAsync("Consulta cancelada.");
        Assert.Equal(0, await page.GetByTestId("book-done").CountAsync());
    }

    [Fact]
    public async Task ThePatientsList_IsNotRedrawnByARefreshThatChangesNothing_ButIsWhenTheClockChangesARow()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(api);
        // Three hours ahead: the patient may still cancel (until 2 h before) and the room is not open yet (1 h before,
        // the test clusters' window).
        var now = DateTimeOffset.UtcNow;
        var slot = (await api.SlotsAsync(patient, doctor.Id, now.AddHours(3), now.AddDays(1)))[0];
        var booked = await api.BookAsync(patient, doctor.Id, slot.StartsAt);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var uncaught = new List<string>();
        page.PageError += (_, error) => uncaught.Add(error);
        await page.Clock.InstallAsync();
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");
        var row = page.Locator($"[data-testid='appointment-item'][data-appointment-id='{booked.AppointmentId}']");
        await row.GetByTestId("room-opens").WaitForAsync(new() { Timeout = 15_000 });

        // A keyboard user on "Cancelar": a refresh that finds nothing new leaves it there.
        const string list = "/api/v1/scheduling/appointments?role=patient";
        await ListRefresh.AssertAnUnchangedRefreshKeepsAsync(page, row, "cancel-appointment", list);

        // Past the deadline for changes (nothing changed on the server: 304 again), the row says whom to ask instead.
        async Task JumpToAsync(DateTimeOffset instant)
        {
            var pageNow = await page.EvaluateAsync<long>("() => Date.now()");
            var refreshed = ListRefresh.NextAsync(page, list);
            await page.Clock.FastForwardAsync(instant.ToUnixTimeMilliseconds() - pageNow);
            Assert.Equal(304, (await refreshed).Status);
        }

        await JumpToAsync(booked.StartsAt.AddHours(-2).AddMinutes(1));
        await Assertions.Expect(row.GetByTestId("changes-closed")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        Assert.Equal(0, await row.GetByTestId("cancel-appointment").CountAsync());
        Assert.Equal(1, await row.GetByTestId("room-opens").CountAsync());

        // And once the room opens, "A sala abre às" goes; "Entrar na consulta" stays.
        await JumpToAsync(booked.StartsAt.AddHours(-1).AddMinutes(1));
        await Assertions.Expect(row.GetByTestId("room-opens")).ToHaveCountAsync(0, new() { Timeout = 10_000 });
        await Assertions.Expect(row.GetByTestId("enter-call")).ToBeVisibleAsync();
        Assert.Empty(uncaught);
    }

    [Fact]
    public async Task OnAPhone_ALongNameTakesOneLineOfTheTopBar_AndIsWholeOnHover()
    {
        using var api = fixture.Cluster.Api(0);
        var name = string.Join(' ', Enumerable.Repeat("Maria Aparecida dos Santos", 8)).Trim()[..200];
        var patient = await api.RegisterPatientAsync(name);

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await page.SetViewportSizeAsync(390, 844);
        await CallPage.LoginAsync(page, fixture.Cluster.Silos[0].BaseUrl, patient.Email, patient.Password, "paciente");

        var who = page.GetByTestId("nav-who");
        Assert.Equal(name, await who.GetAttributeAsync("title"));
        var box = await who.BoundingBoxAsync();
        var lineHeight = await who.EvaluateAsync<double>("e => parseFloat(getComputedStyle(e).lineHeight) || parseFloat(getComputedStyle(e).fontSize) * 1.45");
        Assert.True(box is not null && box.Height < lineHeight * 1.5, $"the name takes {box?.Height} px of the bar (one line is {lineHeight} px)");
        Assert.True(box!.X + box.Width <= 390, $"the name runs off the screen: {box.X} + {box.Width} px");
        var wide = await page.EvaluateAsync<string>("""
            () => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
              .map(e => `${e.tagName}.${e.className}[${e.getAttribute('data-testid') ?? ''}] ${Math.round(e.getBoundingClientRect().right)}`).join(', ')
            """);
        Assert.True(wide.Length == 0, $"the page scrolls sideways: {wide}");

        // On a wide screen the bar is one row.
        await page.SetViewportSizeAsync(1280, 800);
        var wideBar = await page.EvaluateAsync<BarSize>(BarMeasure);
        Assert.True(wideBar.Bar <= 56, $"the top bar is {wideBar.Bar} px high on a wide screen");
    }

    // The bar is two rows on a phone (brand and name, then the links; it was three, 114 px, at 390 px, and still three,
    // 119 px, at 375 px), at every common phone width down to 320 px, for the longest links (a patient's) and a
    // doctor's; every link is a 44 px target (they were 23 px of text, under WCAG 2.5.8's 24 px minimum).
    [Fact]
    public async Task OnAPhone_TheTopBarIsTwoRowsOf44PxTargets_DownTo320Px()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync("Ana");
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        await using var browser = await BrowserSession.StartAsync();
        foreach (var (user, home) in new[] { (patient, "paciente"), (doctor, "medico") })
        {
            var page = await browser.NewPageAsync();
            await page.SetViewportSizeAsync(390, 844);
            await CallPage.LoginAsync(page, fixture.Cluster.Silos[0].BaseUrl, user.Email, user.Password, home);
            foreach (var width in new[] { 320, 360, 375, 390, 414 })
            {
                await page.SetViewportSizeAsync(width, 740);
                var phone = await page.EvaluateAsync<BarSize>(BarMeasure);
                var at = $"{home} at {width} px ({string.Join(", ", phone.Targets)}; {string.Join(", ", phone.Parts)})";
                Assert.True(phone.Bar <= 96, $"the top bar is {phone.Bar} px high: {at}");
                Assert.Equal(4, phone.Targets.Length);
                Assert.All(phone.Targets, t => Assert.True(Height(t) >= 44 && Width(t) >= 24, $"a link of the bar is {t} px: {at}"));
                Assert.True(phone.Right <= width, $"the bar runs off the screen ({phone.Right} px): {at}");
            }

            await page.CloseAsync();
        }
    }

    private const string BarMeasure = """
        () => ({ bar: document.querySelector('.topbar').getBoundingClientRect().height,
                 right: Math.max(...[...document.querySelectorAll('.topbar *')].map(e => e.getBoundingClientRect().right)),
                 targets: [...document.querySelectorAll('#nav a, #nav button')].map(e => { const r = e.getBoundingClientRect(); return `${e.textContent}:${Math.round(r.width)}x${Math.round(r.height)}`; }),
                 parts: [...document.querySelector('.topbar').children].filter(e => !e.hidden).map(e => { const r = e.getBoundingClientRect(); return `${e.className || e.id}@${Math.round(r.x)},${Math.round(r.y)}+${Math.round(r.width)}x${Math.round(r.height)}`; }) })
        """;

    private sealed class BarSize
    {
        public double Bar { get; set; }

        public double Right { get; set; }

        public string[] Targets { get; set; } = [];

        public string[] Parts { get; set; } = [];
    }

    private static int Height(string target) => int.Parse(target[(target.LastIndexOf('x') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static int Width(string target) => int.Parse(target[(target.LastIndexOf(':') + 1)..target.LastIndexOf('x')], System.Globalization.CultureInfo.InvariantCulture);
}
