using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Identity;

/// <summary>Tokens every silo accepts, rotating refresh tokens, and forged tokens refused everywhere.</summary>
public sealed class TokenTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Token_IssuedOnSilo1_WorksOnSilo2_AndRefreshOnSilo2Rotates()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var patient = await silo1.RegisterPatientAsync();

        using (var me = await silo2.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        var first = patient.RefreshToken;
        var refreshed = await silo2.SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = first }, null);
        Assert.NotEqual(first, refreshed.RefreshToken);
        using (var me = await silo1.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: refreshed.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        // Presenting the rotated-out token again is theft: the whole family dies, newest token included.
        using (var reuse = await silo1.SendAsync(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = first }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, reuse.StatusCode);
            Assert.Equal("application/problem+json", reuse.Content.Headers.ContentType?.MediaType);
        }

        using var newest = await silo2.SendAsync(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = refreshed.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, newest.StatusCode);

        // The stolen session's access token dies with it, on the silo that saw the theft at once.
        using var stolen = await silo1.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: refreshed.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
    }

    [Fact]
    public async Task Logout_EndsThatSession_ItsRefreshAndAccessTokensAndHubConnections_AndNoOther()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();

        // Without the refresh token there is no session to end: a 400 naming it, not a 204 that revoked nothing.
        using (var bodiless = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/logout", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bodiless.StatusCode);
            Assert.True(JsonDocument.Parse(await bodiless.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("errors").TryGetProperty("refreshToken", out _));
        }

        var otherDevice = patient with { };
        await api.LoginAsync(otherDevice);

        // Each session has a hub connection on the other silo; the logout closes that session's one only.
        using var otherSilo = fixture.Cluster.Api(1);
        await using var loggedOutHub = await HubClient.ConnectAsync(otherSilo.BaseUrl, () => patient.AccessToken);
        await using var otherDeviceHub = await HubClient.ConnectAsync(otherSilo.BaseUrl, () => otherDevice.AccessToken);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loggedOutHub.Connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        using (var logout = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/logout", new { refreshToken = patient.RefreshToken }, patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        using var refresh = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = patient.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);

        // The session's access token ends with it: at once on this silo, within the revocation refresh on the other.
        // The account's other session (another device) goes on.
        using (var me = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        }

        for (var deadline = Deadline.InSeconds(20); ; await Task.Delay(200, TestContext.Current.CancellationToken))
        {
            using var me = await otherSilo.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: patient.AccessToken);
            if (me.StatusCode == HttpStatusCode.Unauthorized)
            {
                break;
            }

            Assert.False(deadline.Passed, "the logged-out access token still works on the other silo after 20 s");
        }

        using (var me = await otherSilo.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: otherDevice.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        await otherDeviceHub.Connection.InvokeAsync("Ping", TestContext.Current.CancellationToken);
        Assert.Equal(HubConnectionState.Connected, otherDeviceHub.Connection.State);

        // Logging out twice is no error.
        using var again = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/logout", new { refreshToken = patient.RefreshToken });
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task ForgedTokens_AreRefusedOnHttpAndOnTheHub()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api = fixture.Cluster.Api(1);
        var patient = await api.RegisterPatientAsync();
        var forged = new[]
        {
            Jwt.Tamper(patient.AccessToken, "role", "admin"),
            Jwt.Tamper(patient.AccessToken, "sub", Guid.NewGuid().ToString()),
            Jwt.AlgNone(patient.AccessToken),
            Jwt.Tamper(patient.AccessToken, "aud", "someone-else"),
            "not-a-jwt",
        };

        foreach (var token in forged)
        {
            using var response = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using var hub = await HubClient.ConnectAsync(api.BaseUrl, () => token);
            });
        }

        // The genuine token still works on both.
        await using var genuine = await HubClient.ConnectAsync(api.BaseUrl, () => patient.AccessToken);
        Assert.Equal(HubConnectionState.Connected, genuine.Connection.State);
        await genuine.Connection.StopAsync(ct);
    }

    private sealed record HubTicket(string Ticket, DateTimeOffset ExpiresAt);

    /// <summary>
    /// A WebSocket URL carries its credential and load balancers log URLs, so the web opens the hub with a single-use
    /// ticket instead of its access token: it opens one connection, as its user, on any silo, and is refused by the API.
    /// </summary>
    [Fact]
    public async Task AHubTicket_OpensOneHubConnection_AsItsUser_OnAnySilo_AndNothingElse()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var call = await Scenario.AcceptedCallAsync(silo1, silo2, fixture.Admin);
        var patient = call.Patient;
        var ticket = await silo1.SendAsync<HubTicket>(HttpMethod.Post, "/api/v1/identity/hub-ticket", null, patient.AccessToken);
        Assert.InRange(ticket.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(61));
        Assert.NotEqual(patient.AccessToken, ticket.Ticket);

        // Issued on silo 1, used on silo 2, as the patient: the patient's call opens to it.
        await using (var hub = await HubClient.ConnectAsync(silo2.BaseUrl, () => ticket.Ticket))
        {
            var joined = await hub.Connection.InvokeAsync<JsonElement>("JoinRoom", call.RoomId.ToString(), TestContext.Current.CancellationToken);
            Assert.Equal(call.RoomId, joined.GetProperty("roomId").GetGuid());
        }

        // Spent: it opens nothing more, on either silo.
        foreach (var silo in new[] { silo1, silo2 })
        {
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using var again = await HubClient.ConnectAsync(silo.BaseUrl, () => ticket.Ticket);
            });
        }

        // The API refuses a ticket (a ticket does not mint another), and those refusals do not spend it.
        var unspent = await silo2.SendAsync<HubTicket>(HttpMethod.Post, "/api/v1/identity/hub-ticket", null, patient.AccessToken);
        using (var me = await silo1.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: unspent.Ticket))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        }

        using (var another = await silo1.SendAsync(HttpMethod.Post, "/api/v1/identity/hub-ticket", token: unspent.Ticket))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, another.StatusCode);
        }

        await using (var hub = await HubClient.ConnectAsync(silo1.BaseUrl, () => unspent.Ticket))
        {
            Assert.Equal(HubConnectionState.Connected, hub.Connection.State);
        }

        // A ticket is its session's: once the session is logged out, an unused ticket of it opens nothing.
        var beforeLogout = await silo1.SendAsync<HubTicket>(HttpMethod.Post, "/api/v1/identity/hub-ticket", null, patient.AccessToken);
        using (var logout = await silo1.SendAsync(HttpMethod.Post, "/api/v1/identity/logout", new { refreshToken = patient.RefreshToken }, patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var ended = await HubClient.ConnectAsync(silo1.BaseUrl, () => beforeLogout.Ticket);
        });
    }

    [Fact]
    public async Task ExpiredToken_IsRefusedOnHttpAndOnTheHub()
    {
        var silo = fixture.Cluster.AddStandaloneSilo(new Dictionary<string, string>
        {
            ["Identity__AccessTokenLifetime"] = "00:00:02",
            ["Identity__HubTicketLifetime"] = "00:00:02",
            ["Identity__ClockSkew"] = "00:00:00",
        });
        await silo.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var api = new TelemedicinaApi(silo.BaseUrl, fixture.Cluster.Outbox);
        var patient = await api.RegisterPatientAsync();
        using (var fresh = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        var ticket = await api.SendAsync<HubTicket>(HttpMethod.Post, "/api/v1/identity/hub-ticket", null, patient.AccessToken);

        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        using (var expired = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        }

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var hub = await HubClient.ConnectAsync(api.BaseUrl, () => patient.AccessToken);
        });

        // An unused hub ticket expires too.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var hub = await HubClient.ConnectAsync(api.BaseUrl, () => ticket.Ticket);
        });
        await silo.StopAsync();
    }
}
