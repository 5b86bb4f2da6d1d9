using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// The page's hub connection when the server closes it without a reconnect (it does so when a session ends: an admin
/// lock, a logout elsewhere, an erasure). Found by an outside probe through two silos behind a load balancer: the page
/// said "reconectando" for 15 s after a lock served by the silo of its connection.
/// </summary>
public sealed class HubCloseTests(ClusterFixture fixture)
{
    private const string HubPattern = "/hubs/consultation";

    private static Task<string> HubStateAsync(IPage page) => page.EvaluateAsync<string>("() => window.telemedicina.hubState()");

    /// <summary>
    /// Restarting the closed connection object from its own close handler raced the SignalR client's cleanup: the new
    /// WebSocket opened, its transport was cleared, the handshake was never sent, and the page waited for the server's
    /// 15 s handshake timeout ("Handshake was canceled", "Cannot read properties of undefined (reading 'send')").
    /// </summary>
    [Fact]
    public async Task AConnectionTheServerClosesWithoutAReconnect_IsOpenedAgainAtOnce()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var errors = new ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Enqueue(error);
        var sockets = new ConcurrentQueue<(IWebSocketRoute Page, IWebSocketRoute Server)>();
        await page.RouteWebSocketAsync(new Regex(HubPattern), route => sockets.Enqueue((route, route.ConnectToServer())));
        await CallPage.LoginAsync(page, fixture.Cluster.Silos[0].BaseUrl, patient.Email, patient.Password, "paciente");
        await CallPage.WaitForAsync(async () => await HubStateAsync(page) == "Connected", TimeSpan.FromSeconds(15), () => "the hub connected");

        // The close as the server sends it when it aborts a connection: a Close message that allows no reconnect, then
        // the socket goes.
        var opened = sockets.Count;
        var (pageSide, serverSide) = sockets.Last();
        pageSide.Send("{\"type\":7,\"allowReconnect\":false}\u001e");
        await serverSide.CloseAsync();
        var clock = Stopwatch.StartNew();

        // Well under the 15 s the stalled handshake took; the session is valid, so the page connects again by itself.
        await CallPage.WaitForAsync(async () => sockets.Count > opened && await HubStateAsync(page) == "Connected", TimeSpan.FromSeconds(8),
            () => $"the page connected again ({sockets.Count - opened} new sockets, state {HubStateAsync(page).Result}; errors: {string.Join(" | ", errors)})");
        Figures.Report($"Hub closed by the server: the page connected again in {clock.ElapsedMilliseconds} ms");
        Assert.DoesNotContain(errors, e => e.Contains("Handshake was canceled", StringComparison.Ordinal) || e.Contains("reading 'send'", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("[data-page='paciente']")).ToBeVisibleAsync();
    }

    /// <summary>
    /// A lock served by the silo of the page's connection closes it; the page's next ticket may come from a silo that
    /// has not heard of the lock yet (one whose listening connection is down reads them every 5 s; here it is not told and
    /// reads them every 2 minutes, so that the window stays open). The page
    /// checks its session where every silo agrees (the refresh token, in the database) and goes to the login at once,
    /// instead of asking for tickets the informed silo refuses until the other one hears of the lock.
    /// </summary>
    [Fact]
    public async Task ALockServedByTheSiloOfThePagesConnection_TakesThePageToTheLogin_EvenWhenTheOtherSiloHasNotHeardOfIt()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string>
        {
            ["Identity__RevocationRefresh"] = "00:02:00",
            ["Identity__RevocationNotifications"] = "false",
        });
        using var informed = cluster.Api(0);
        var admin = await informed.LoginDemoAdminAsync();
        var patient = await informed.RegisterPatientAsync();
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();

        // The load balancer sends the page's ticket requests to the other silo, as round robin did in the probe.
        var uninformed = cluster.Silos[1].BaseUrl;
        await page.RouteAsync("**/api/v1/identity/hub-ticket", async route =>
        {
            var answer = await route.FetchAsync(new() { Url = new Uri(uninformed, "/api/v1/identity/hub-ticket").ToString() });
            await route.FulfillAsync(new() { Response = answer });
        });
        await CallPage.LoginAsync(page, cluster.Silos[0].BaseUrl, patient.Email, patient.Password, "paciente");
        await CallPage.WaitForAsync(async () => await HubStateAsync(page) == "Connected", TimeSpan.FromSeconds(15), () => "the hub connected");

        using (var locked = await informed.SendAsync(HttpMethod.Post, $"/api/v1/admin/users/{patient.Id}/lock", null, admin.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        await page.Locator("[data-page='login']").WaitForAsync(new() { Timeout = 10_000 });
        Figures.Report($"Lock on the page's silo, the other not yet informed: the login page after {clock.ElapsedMilliseconds} ms");
        await Assertions.Expect(page.Locator("#banner[data-testid='session-ended']")).ToHaveTextAsync("Sua sessão foi encerrada. Entre novamente.");
    }
}
