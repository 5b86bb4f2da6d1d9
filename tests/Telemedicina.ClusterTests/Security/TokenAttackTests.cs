using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Security;

/// <summary>
/// Attacks on the credentials: forged and foreign JWTs against the API and against the hub's
/// <c>access_token</c> query parameter (both the negotiate request and the WebSocket upgrade),
/// tokens properly signed but for another issuer or audience, refresh-token races, brute force of
/// the second factor, and a hub connection trying to reach someone else's room or person.
/// Builds on <see cref="Identity.TokenTests"/> (tampered claims, expiry, plain reuse), not repeating it.
/// </summary>
// Both classes start extra silos: one collection, so that they do not start four at once on two cores.
[Collection("Security tests with extra silos")]
public sealed class TokenAttackTests(ClusterFixture fixture)
{
    /// <summary>How long an extra silo of these tests may take to join (generous: the suite starts several at once on two cores).</summary>
    internal static readonly TimeSpan ExtraSiloStart = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task ForgedAndForeignTokens_AreRefused_OnHttp_AndOnTheHubQueryString()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        var genuine = patient.AccessToken;
        using var elsewhere = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["alg none"] = Jwt.AlgNone(genuine),
            ["alg None"] = Jwt.AlgNone(genuine, "None"),
            ["alg NONE"] = Jwt.AlgNone(genuine, "NONE"),
            ["signature bit flipped"] = Jwt.FlipSignatureBit(genuine),
            ["signature removed"] = genuine[..(genuine.LastIndexOf('.') + 1)],
            ["payload changed (exp + 1 day)"] = Jwt.Tamper(genuine, "exp", (Jwt.Payload(genuine)["exp"]!.GetValue<long>() + 86_400).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ["foreign key, same kid"] = Jwt.SignWithForeignKey(genuine, elsewhere),
            ["foreign key, new kid"] = Jwt.SignWithForeignKey(genuine, elsewhere, h => h["kid"] = Guid.NewGuid().ToString("N")),
            ["foreign key, no kid"] = Jwt.SignWithForeignKey(genuine, elsewhere, h => h.Remove("kid")),
            ["foreign key embedded as jwk"] = Jwt.SignWithForeignKey(genuine, elsewhere, h => h["jwk"] = Jwt.PublicJwk(elsewhere), p => p["role"] = "admin"),
            ["foreign key, admin role"] = Jwt.SignWithForeignKey(genuine, elsewhere, editPayload: p => p["role"] = "admin"),
            ["HS256 with a guessable secret"] = Jwt.SignHs256(genuine, System.Text.Encoding.UTF8.GetBytes("telemedicina-telemedicina-telemedicina")),
            ["HS256 keyed with the kid"] = Jwt.SignHs256(genuine, System.Text.Encoding.UTF8.GetBytes(Jwt.Header(genuine)["kid"]!.GetValue<string>())),
            ["garbage"] = "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.AAAA",
        };

        var failures = new List<string>();
        foreach (var (name, token) in forged)
        {
            using var me = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: token);
            if (me.StatusCode != HttpStatusCode.Unauthorized || me.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{name}: GET /me answered {(int)me.StatusCode} {me.Content.Headers.ContentType}");
            }

            var negotiate = await NegotiateAsync(api, token);
            var upgrade = await WebSocketUpgradeAsync(api.BaseUrl, token, ct);
            if (negotiate != HttpStatusCode.Unauthorized || upgrade != HttpStatusCode.Unauthorized)
            {
                failures.Add($"{name}: hub negotiate {(int)negotiate}, WebSocket upgrade {(int)upgrade}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // The genuine token passes both doors, so the refusals above are about the token.
        Assert.Equal(HttpStatusCode.OK, await NegotiateAsync(api, genuine));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketUpgradeAsync(api.BaseUrl, genuine, ct));
        Figures.Report($"Forged tokens: {forged.Count} kinds x 3 doors (HTTP, hub negotiate, hub WebSocket) = {forged.Count * 3} attempts, all 401");
    }

    [Fact]
    public async Task TokensSignedWithTheSharedKeys_ButForAnotherIssuerOrAudience_AreRefusedBothWays()
    {
        var ct = TestContext.Current.CancellationToken;
        var otherIssuer = fixture.Cluster.AddStandaloneSilo(new Dictionary<string, string> { ["Identity__Issuer"] = "https://elsewhere.example" });
        var otherAudience = fixture.Cluster.AddStandaloneSilo(new Dictionary<string, string> { ["Identity__Audience"] = "another-api" });
        try
        {
            await Task.WhenAll(otherIssuer.WaitReadyAsync(ExtraSiloStart), otherAudience.WaitReadyAsync(ExtraSiloStart));
            using var main = fixture.Cluster.Api(0);
            var patient = await main.RegisterPatientAsync();
            foreach (var silo in new[] { otherIssuer, otherAudience })
            {
                using var odd = new TelemedicinaApi(silo.BaseUrl, fixture.Cluster.Outbox);
                var user = patient with { };
                await odd.LoginAsync(user);

                // Same database, same signing key: only the claim differs.
                Assert.Equal(Jwt.Header(patient.AccessToken)["kid"]!.GetValue<string>(), Jwt.Header(user.AccessToken)["kid"]!.GetValue<string>());
                using (var atHome = await odd.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: user.AccessToken))
                {
                    Assert.Equal(HttpStatusCode.OK, atHome.StatusCode);
                }

                using (var away = await main.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: user.AccessToken))
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, away.StatusCode);
                }

                Assert.Equal(HttpStatusCode.Unauthorized, await NegotiateAsync(main, user.AccessToken));
                Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgradeAsync(main.BaseUrl, user.AccessToken, ct));

                using var theOtherWay = await odd.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: patient.AccessToken);
                Assert.Equal(HttpStatusCode.Unauthorized, theOtherWay.StatusCode);
                Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketUpgradeAsync(odd.BaseUrl, patient.AccessToken, ct));
            }
        }
        finally
        {
            await Task.WhenAll(otherIssuer.StopAsync(), otherAudience.StopAsync());
        }
    }

    [Fact]
    public async Task RefreshToken_PresentedConcurrently_RotatesOnce_AndTheReuseKillsTheWinnersSessionToo()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        const int Racers = 8;
        var families = 0;
        var survivors = new List<string>();
        for (var round = 0; round < 5; round++)
        {
            var patient = await silo1.RegisterPatientAsync();
            var stolen = patient.RefreshToken;
            using var start = new SemaphoreSlim(0, Racers);
            var racers = Enumerable.Range(0, Racers).Select(async i =>
            {
                await start.WaitAsync();
                using var response = await (i % 2 == 0 ? silo1 : silo2).SendAsync(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = stolen });
                return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
            }).ToList();
            start.Release(Racers);
            var results = await Task.WhenAll(racers);

            var winners = results.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
            Assert.Single(winners);
            Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
            families++;

            // The token was presented more than once: reuse, so the family is dead, the winner's new token included.
            var winner = JsonSerializer.Deserialize<LoginResult>(winners[0].Body, ApiJson.Options)!;
            using var next = await silo2.SendAsync(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = winner.RefreshToken });
            if (next.StatusCode != HttpStatusCode.Unauthorized)
            {
                survivors.Add($"round {round}: the winner's rotated token still refreshed ({(int)next.StatusCode})");
            }
        }

        Assert.True(survivors.Count == 0, string.Join('\n', survivors));
        Figures.Report($"Refresh race: {families} stolen tokens x {Racers} concurrent presentations: one rotation each, every family revoked");
    }

    [Fact]
    public async Task SecondFactor_BruteForce_LocksTheAccount_AndTheRightCodeIsThenRefused()
    {
        using var api = fixture.Cluster.Api(1);
        var patient = await api.RegisterPatientAsync();
        var setup = await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/identity/2fa/setup", null, patient.AccessToken);
        var totp = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(setup.GetProperty("secret").GetString()!));
        var step = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
        string CodeAt(long s) => totp.ComputeTotp(DateTimeOffset.FromUnixTimeSeconds(s * 30).UtcDateTime);
        await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/identity/2fa/enable", new { code = CodeAt(step) }, patient.AccessToken);
        var login = await api.SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = patient.Password }, null);
        Assert.True(login.TwoFactorRequired);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            // Wrong for every step the server accepts (the previous, this and the next).
            var guess = Enumerable.Range(0, 20).Select(_ => Random.Shared.Next(100_000, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture))
                .First(g => g != CodeAt(step - 1) && g != CodeAt(step) && g != CodeAt(step + 1) && g != CodeAt(step + 2));
            using var attempt = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login/2fa", new { challengeToken = login.ChallengeToken, code = guess });
            statuses.Add(attempt.StatusCode);
        }

        // Five wrong codes lock the account (the same five as for passwords); then even the right code is refused.
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), HttpStatusCode.Locked], statuses);
        using var right = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login/2fa", new { challengeToken = login.ChallengeToken, code = CodeAt(step + 1) });
        Assert.Equal(HttpStatusCode.Locked, right.StatusCode);
        Assert.Equal("application/problem+json", right.Content.Headers.ContentType?.MediaType);
        using var password = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = patient.Password });
        Assert.Equal(HttpStatusCode.Locked, password.StatusCode);
    }

    [Fact]
    public async Task Hub_CannotReachAnotherUsersRoomOrPerson_FromItsOwnAcceptedCall()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var target = await Scenario.BookedPairAsync(silo1, silo2, fixture.Admin);
        var intruder = await Scenario.BookedPairAsync(silo2, silo1, fixture.Admin);
        var targetCall = await silo1.RequestCallAsync(target.Patient, target.Booked.AppointmentId);
        await silo2.CallActionAsync(target.Doctor, targetCall.RoomId, "accept");
        var intruderCall = await silo2.RequestCallAsync(intruder.Patient, intruder.Booked.AppointmentId);
        await silo1.CallActionAsync(intruder.Doctor, intruderCall.RoomId, "accept");

        await using var patientHub = await HubClient.ConnectAsync(silo1.BaseUrl, () => target.Patient.AccessToken);
        await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", targetCall.RoomId.ToString(), ct);
        await using var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => target.Doctor.AccessToken);
        await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", targetCall.RoomId.ToString(), ct);
        await patientHub.NextAsync<PeerJoined>("PeerJoined", match: e => e.UserId == target.Doctor.Id);

        // The intruder is a doctor in a call of their own, joined to their own room.
        await using var intruderHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => intruder.Doctor.AccessToken);
        var own = intruderCall.RoomId.ToString();
        await intruderHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", own, ct);
        var room = targetCall.RoomId.ToString();
        var patientId = target.Patient.Id.ToString();
        var attempts = new List<(string Name, Func<Task> Invoke)>
        {
            ("join the other room", () => intruderHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct)),
            ("resume the other room from seq 0", () => intruderHub.Connection.InvokeAsync<JoinRoomResult>("ResumeRoom", room, 0L, ct)),
            ("signal into the other room", () => intruderHub.Connection.InvokeAsync("Signal", room, patientId, "offer", "v=0\r\n", ct)),
            ("signal the other patient through own room", () => intruderHub.Connection.InvokeAsync("Signal", own, patientId, "candidate", "{}", ct)),
            ("chat into the other room", () => intruderHub.Connection.InvokeAsync("Chat", room, "olá", ct)),
            ("leave the other room for its party", () => intruderHub.Connection.InvokeAsync("LeaveRoom", room, ct)),
        };
        var refused = 0;
        foreach (var (name, invoke) in attempts)
        {
            var error = await Record.ExceptionAsync(invoke);
            if (name.StartsWith("leave", StringComparison.Ordinal))
            {
                // Leaving a room one never joined is a no-op, and must stay one.
                Assert.Null(error);
                continue;
            }

            Assert.True(error is HubException, $"{name}: expected a HubException, got {error?.GetType().Name ?? "success"}");
            Assert.DoesNotContain(patientId, error!.Message, StringComparison.OrdinalIgnoreCase);
            refused++;
        }

        // The parties still talk, nothing of the intruder reached them, and the intruder heard nothing of theirs.
        await patientHub.Connection.InvokeAsync("Signal", room, target.Doctor.Id.ToString(), "candidate", "{\"candidate\":\"ok\"}", ct);
        var delivered = await doctorHub.NextAsync<SignalMessage>("Signal");
        Assert.Equal(target.Patient.Id, delivered.FromUserId);
        Assert.Equal(0, patientHub.Pending("Signal"));
        Assert.Equal(0, patientHub.Pending("Chat"));
        Assert.Equal(0, patientHub.Pending("PeerLeft"));
        Assert.Equal(0, intruderHub.Pending("Signal"));
        Assert.Equal(0, intruderHub.Pending("CallStatusChanged"));
        var call = await silo1.GetCallAsync(target.Patient, targetCall.RoomId);
        Assert.True(call.Participants.All(p => p.UserId == target.Patient.Id || p.UserId == target.Doctor.Id));
        Figures.Report($"Hub isolation: {refused} attempts from a party of another live call refused, nothing delivered across rooms");

        await silo1.CallActionAsync(target.Patient, targetCall.RoomId, "end");
        await silo2.CallActionAsync(intruder.Patient, intruderCall.RoomId, "end");
    }

    /// <summary>The hub's negotiate request with the token in the query string, as browsers send it.</summary>
    internal static async Task<HttpStatusCode> NegotiateAsync(TelemedicinaApi api, string token)
    {
        using var response = await api.SendAsync(HttpMethod.Post, "/hubs/consultation/negotiate?negotiateVersion=1&access_token=" + Uri.EscapeDataString(token));
        return response.StatusCode;
    }

    /// <summary>
    /// The WebSocket upgrade of the hub with the token in the query string (browsers cannot set
    /// headers on a WebSocket); 101 when authenticated. No SignalR handshake follows.
    /// </summary>
    internal static async Task<HttpStatusCode> WebSocketUpgradeAsync(Uri baseUrl, string token, CancellationToken ct)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(baseUrl) { Scheme = "ws", Path = "/hubs/consultation", Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
        try
        {
            await socket.ConnectAsync(uri, ct);
            socket.Abort();
        }
        catch (WebSocketException)
        {
            // Refused upgrade: the status code says why.
        }

        return socket.HttpStatusCode;
    }
}
