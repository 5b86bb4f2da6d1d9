using System.Buffers.Text;
using System.Text.Json;
using System.Web;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>
/// The page opens the hub with a single-use ticket, not with its access token: a WebSocket URL carries its credential,
/// and load balancers and proxies log URLs. What a log keeps is a ticket already spent.
/// </summary>
public sealed class HubTicketPageTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ThePagesHubUrl_CarriesASpentHubTicket_NotTheAccessToken()
    {
        var baseUrl = fixture.Cluster.Silos[0].BaseUrl;
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();

        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        var hubUrls = new List<string>();
        var answered = 0;
        page.WebSocket += (_, socket) =>
        {
            if (socket.Url.Contains("/hubs/consultation", StringComparison.Ordinal))
            {
                lock (hubUrls)
                {
                    hubUrls.Add(socket.Url);
                }

                // The server's handshake answer: the connection was accepted, so its ticket is spent.
                socket.FrameReceived += (_, _) => Interlocked.Exchange(ref answered, 1);
            }
        };
        await CallPage.LoginAsync(page, baseUrl, patient.Email, patient.Password, "paciente");
        await CallPage.WaitForAsync(() => Task.FromResult(Volatile.Read(ref answered) == 1), TimeSpan.FromSeconds(15), () => "the page's hub WebSocket was not answered");

        string url;
        lock (hubUrls)
        {
            url = hubUrls[0];
        }

        var credential = HttpUtility.ParseQueryString(new Uri(url).Query)["access_token"] ?? "";
        var session = JsonDocument.Parse(await page.EvaluateAsync<string>("() => sessionStorage.getItem('telemedicina.session')")).RootElement;
        Assert.NotEqual(session.GetProperty("accessToken").GetString(), credential);
        var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(credential.Split('.')[1])).RootElement;
        Assert.Equal("telemedicina-api:hub", payload.GetProperty("aud").GetString());
        Assert.Equal(patient.Id.ToString(), payload.GetProperty("sub").GetString());

        // Whoever reads it in a log gets nothing: the page has used it, and the API does not take it.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var replay = await HubClient.ConnectAsync(baseUrl, () => credential);
        });
        using var me = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: credential);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, me.StatusCode);
    }
}
