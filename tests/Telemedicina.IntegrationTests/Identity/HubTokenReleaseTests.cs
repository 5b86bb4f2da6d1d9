using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Telemedicina.IntegrationTests.Identity;

/// <summary>
/// A hub WebSocket's request lives as long as the connection: once the Identity module's bearer authentication has
/// validated its token, the request no longer holds it (header or query string); other requests are left as they came.
/// </summary>
public sealed class HubTokenReleaseTests() : ModulesTest("hubtoken")
{
    [Fact]
    public async Task AHubWebSocket_ForgetsItsValidatedToken_InTheHeaderAndInTheQuery_AndOtherRequestsKeepTheirs()
    {
        var ct = TestContext.Current.CancellationToken;
        var (silo, _) = await TwoSilosAsync(TimeProvider.System, ct);
        var user = Guid.NewGuid();
        var token = Bearer.PatientToken(silo, user);

        // A native client's WebSocket: the token in the Authorization header.
        var (headerResult, header) = await AuthenticateAsync(silo, "/hubs/consultation", webSocket: true, r => r.Headers.Authorization = "Bearer " + token);
        Assert.True(headerResult.Succeeded, headerResult.Failure?.Message);
        Assert.Equal(user.ToString(), headerResult.Principal.FindFirst("sub")?.Value);
        Assert.False(header.Headers.ContainsKey("Authorization"));
        Assert.Equal("websocket", header.Headers.Upgrade.ToString());

        // A browser's: in the query string, beside the connection's other parameters, which stay.
        var (queryResult, query) = await AuthenticateAsync(silo, "/hubs/consultation", webSocket: true,
            r => r.QueryString = new QueryString("?id=abc&access_token=" + token + "&v=1"));
        Assert.True(queryResult.Succeeded, queryResult.Failure?.Message);
        Assert.False(query.Query.ContainsKey("access_token"));
        Assert.Equal("abc", query.Query["id"].ToString());
        Assert.Equal("1", query.Query["v"].ToString());
        Assert.DoesNotContain(token, query.QueryString.Value, StringComparison.Ordinal);

        // Only the token: nothing left of the query.
        var (aloneResult, alone) = await AuthenticateAsync(silo, "/hubs/consultation", webSocket: true,
            r => r.QueryString = new QueryString("?access_token=" + token));
        Assert.True(aloneResult.Succeeded, aloneResult.Failure?.Message);
        Assert.Empty(alone.Query);
        Assert.DoesNotContain(token, alone.QueryString.Value ?? string.Empty, StringComparison.Ordinal);

        // A negotiation and an API request end in moments: left as they came.
        var (negotiateResult, negotiate) = await AuthenticateAsync(silo, "/hubs/consultation/negotiate", webSocket: false,
            r => r.QueryString = new QueryString("?access_token=" + token));
        Assert.True(negotiateResult.Succeeded, negotiateResult.Failure?.Message);
        Assert.Equal(token, negotiate.Query["access_token"].ToString());
        var (apiResult, api) = await AuthenticateAsync(silo, "/api/v1/identity/me", webSocket: false, r => r.Headers.Authorization = "Bearer " + token);
        Assert.True(apiResult.Succeeded, apiResult.Failure?.Message);
        Assert.Equal("Bearer " + token, api.Headers.Authorization.ToString());

        // A refused token leaves the request as it was (the refusal is the handshake's answer).
        var forged = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        var (refusedResult, refused) = await AuthenticateAsync(silo, "/hubs/consultation", webSocket: true, r => r.Headers.Authorization = "Bearer " + forged);
        Assert.False(refusedResult.Succeeded);
        Assert.Equal("Bearer " + forged, refused.Headers.Authorization.ToString());
    }

    private static Task<(AuthenticateResult Result, HttpRequest Request)> AuthenticateAsync(
        IServiceProvider silo, string path, bool webSocket, Action<HttpRequest> token) =>
        Bearer.AuthenticateAsync(silo, path, request =>
        {
            if (webSocket)
            {
                request.Headers.Connection = "Upgrade";
                request.Headers.Upgrade = "websocket";
            }

            token(request);
        });
}
