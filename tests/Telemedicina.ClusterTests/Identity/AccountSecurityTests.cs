using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using OtpNet;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Identity;

/// <summary>Lockout, rate limits, TOTP with replay protection, recovery codes, e-mail and password flows.</summary>
public sealed class AccountSecurityTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Login_AfterRepeatedFailures_LocksTheAccountWith423ProblemJson()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        for (var i = 0; i < 4; i++)
        {
            using var wrong = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = "errada-" + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // The fifth failure is the one that locks: it already says so.
        using (var fifth = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = "errada-5" }))
        {
            Assert.Equal(HttpStatusCode.Locked, fifth.StatusCode);
        }

        using var locked = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = patient.Password });
        Assert.Equal(HttpStatusCode.Locked, locked.StatusCode);
        Assert.Equal("application/problem+json", locked.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ValidationMessages_SayWhatIsWrong_InPortuguese()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api = fixture.Cluster.Api(0);

        // A birth date in the future is well formed: the message says what is wrong with it. A missing specialty reads
        // as Portuguese does for any field ("Especialidade é obrigatório" was wrong for a feminine noun).
        using (var register = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/register", new
        {
            email = $"futuro-{Guid.NewGuid():N}@x.test", password = "Telemedicina!2026", fullName = "Dra. Futura Silva", role = "doctor",
            birthDate = "2099-01-01", crm = "123456", crmState = "SP",
        }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, register.StatusCode);
            var errors = JsonDocument.Parse(await register.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("errors");
            Assert.Equal("A data de nascimento não pode estar no futuro nem passar de 130 anos.", errors.GetProperty("birthDate")[0].GetString());
            Assert.Equal("Especialidade: campo obrigatório.", errors.GetProperty("specialty")[0].GetString());
        }

        // Overlapping intervals are named by the day in Portuguese, not "sunday".
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        using var overlap = await api.SendAsync(HttpMethod.Put, "/api/v1/scheduling/doctors/me/availability", new
        {
            timeZone = "America/Sao_Paulo", slotMinutes = 30,
            weekly = new[] { new { dayOfWeek = 0, start = "08:00", end = "10:00" }, new { dayOfWeek = 0, start = "09:00", end = "11:00" } },
        }, doctor.AccessToken);
        Assert.Equal(HttpStatusCode.BadRequest, overlap.StatusCode);
        var weekly = JsonDocument.Parse(await overlap.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("errors").GetProperty("weekly")[0].GetString();
        Assert.Equal("Os intervalos de domingo 08:00 e 09:00 se sobrepõem.", weekly);

        // A window shorter than one consultation would offer no slot, silently.
        using var tooShort = await api.SendAsync(HttpMethod.Put, "/api/v1/scheduling/doctors/me/availability", new
        {
            timeZone = "America/Sao_Paulo", slotMinutes = 20,
            weekly = new[] { new { dayOfWeek = 1, start = "08:00", end = "08:10" } },
        }, doctor.AccessToken);
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Equal("O intervalo de 08:00 a 08:10 é menor que uma consulta de 20 minutos.",
            JsonDocument.Parse(await tooShort.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("errors").GetProperty("weekly[0].end")[0].GetString());
    }

    [Fact]
    public async Task Login_UnknownEmailAndWrongPassword_GetTheSameAnswer()
    {
        using var api = fixture.Cluster.Api(1);
        var patient = await api.RegisterPatientAsync();
        using var unknown = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = "ninguem-" + Guid.NewGuid().ToString("N")[..8] + "@teste.local", password = "Qualquer-coisa-1" });
        using var wrong = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = "Qualquer-coisa-1" });
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var a = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var b = JsonDocument.Parse(await wrong.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());

        // A password over the limit is named as such, not as a missing one.
        using var huge = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = new string('x', 300) });
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        var errors = JsonDocument.Parse(await huge.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("errors");
        Assert.Equal("A senha tem no máximo 256 caracteres.", errors.GetProperty("password")[0].GetString());
    }

    [Fact]
    public async Task Login_UnknownEmail_IsLockedOutLikeAnAccount_SoTheLockoutDoesNotTellThemApart()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api0 = fixture.Cluster.Api(0);
        using var api1 = fixture.Cluster.Api(1);
        var patient = await api0.RegisterPatientAsync();
        var unknown = "ninguem-" + Guid.NewGuid().ToString("N")[..8] + "@teste.local";

        // The same sequence for both, alternating silos: four 401s, then the fifth failure already answers 423.
        var answers = new Dictionary<string, List<HttpStatusCode>>();
        string? lockedDetail = null;
        foreach (var email in new[] { patient.Email, unknown })
        {
            answers[email] = [];
            for (var i = 0; i < 6; i++)
            {
                using var response = await (i % 2 == 0 ? api0 : api1).SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email, password = "Errada-demais-" + i });
                answers[email].Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.Locked)
                {
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("detail").GetString();
                    Assert.Equal(lockedDetail ??= detail, detail);
                }
            }
        }

        HttpStatusCode[] expected = [.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.Locked, HttpStatusCode.Locked];
        Assert.Equal(expected, answers[patient.Email]);
        Assert.Equal(expected, answers[unknown]);
    }

    /// <summary>
    /// An account locked while its hub connection is being set up (its token already checked, the connection not yet
    /// listed on the silo; <c>Faults:DelayHubConnect</c> holds it there 3 s) has that connection closed as soon as it is
    /// listed. The lock closed only the connections listed at the time, so this one stayed open for the token's lifetime.
    /// </summary>
    [Fact]
    public async Task AnAccountLockedWhileItsHubConnectionIsBeingSetUp_HasThatConnectionClosed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 1, new Dictionary<string, string> { ["Faults__DelayHubConnect"] = "00:00:03" });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var patient = await api.RegisterPatientAsync();
        var connecting = HubClient.ConnectAsync(cluster.Silos[0].BaseUrl, () => patient.AccessToken);
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        using (var locked = await api.SendAsync(HttpMethod.Post, $"/api/v1/admin/users/{patient.Id}/lock", null, admin.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        }

        // The connect may complete before the close reaches the client, or fail when the close comes first.
        HubClient? hub = null;
        try
        {
            hub = await connecting;
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException or OperationCanceledException)
        {
            return;
        }

        await using (hub)
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            hub.Connection.Closed += _ =>
            {
                closed.TrySetResult();
                return Task.CompletedTask;
            };
            if (hub.Connection.State != HubConnectionState.Disconnected)
            {
                await closed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            }
        }
    }

    [Fact]
    public async Task AHubTicketFromASiloThatHasNotHeardOfALock_OpensNothingOnASiloThatHas()
    {
        // The silos are not told of each other's revocations and read them every 2 minutes here (as a silo whose listening
        // connection is down, 5 s by default): the window stays open for the test.
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string>
        {
            ["Identity__RevocationRefresh"] = "00:02:00",
            ["Identity__RevocationNotifications"] = "false",
        });
        using var silo1 = cluster.Api(0);
        using var silo2 = cluster.Api(1);
        var admin = await silo1.LoginDemoAdminAsync();
        var patient = await silo1.RegisterPatientAsync();
        var bystander = await silo1.RegisterPatientAsync();
        using (var locked = await silo1.SendAsync(HttpMethod.Post, $"/api/v1/admin/users/{patient.Id}/lock", null, admin.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        }

        // Silo 2 has not heard of the lock yet and still issues a ticket for the account's token (as the web page asks
        // for one when the silo it was on closes its connection: the load balancer sends the request to the other).
        var ticket = await silo2.SendAsync<HubTicketAnswer>(HttpMethod.Post, "/api/v1/identity/hub-ticket", null, patient.AccessToken);
        var control = await silo2.SendAsync<HubTicketAnswer>(HttpMethod.Post, "/api/v1/identity/hub-ticket", null, bystander.AccessToken);

        // Silo 1 has: the ticket counts from the token it was issued for, older than the lock. Before, the ticket's own
        // issue time, after the lock, let it open a connection that nothing closed later.
        var refused = await Record.ExceptionAsync(async () =>
        {
            await using var hub = await HubClient.ConnectAsync(silo1.BaseUrl, () => ticket.Ticket);
        });
        Assert.NotNull(refused);
        await using var other = await HubClient.ConnectAsync(silo1.BaseUrl, () => control.Ticket);
        Assert.Equal(HubConnectionState.Connected, other.Connection.State);
    }

    private sealed record HubTicketAnswer(string Ticket, DateTimeOffset ExpiresAt);

    /// <summary>
    /// A lock or a logout served by one silo reaches the other at once: the revocation is announced (PostgreSQL NOTIFY)
    /// when it commits. Before, the other silo accepted the account's token and kept its hub connection until its next
    /// read of the revocations (5 s by default, 2 minutes here, so what arrives sooner came by the announcement). When a
    /// silo's listening connection is cut, it listens again and the next announcement arrives as fast.
    /// </summary>
    [Fact]
    public async Task ALockOrALogoutOnOneSilo_ReachesTheOtherAtOnce_AlsoAfterItsListeningConnectionWasCut()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string> { ["Identity__RevocationRefresh"] = "00:02:00" });
        using var silo1 = cluster.Api(0);
        using var silo2 = cluster.Api(1);
        var admin = await silo1.LoginDemoAdminAsync();

        async Task<HttpStatusCode> MeAsync(string bearer)
        {
            using var response = await silo2.SendAsync(HttpMethod.Get, "/api/v1/identity/me", null, bearer);
            return response.StatusCode;
        }

        // The time until silo 2 refuses the token after the revocation answered on silo 1; fails past 5 s.
        async Task<TimeSpan> RefusedOnSilo2Async(string bearer)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (await MeAsync(bearer) != HttpStatusCode.Unauthorized)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "silo 2 still accepts the token 5 s after the revocation");
                await Task.Delay(20, ct);
            }

            return clock.Elapsed;
        }

        async Task LockAsync(TestUser user)
        {
            using var locked = await silo1.SendAsync(HttpMethod.Post, $"/api/v1/admin/users/{user.Id}/lock", null, admin.AccessToken);
            Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        }

        // A lock: the token refused on silo 2 and the hub connection it opened there closed, at once.
        var patient = await silo2.RegisterPatientAsync();
        await using var hub = await HubClient.ConnectAsync(silo2.BaseUrl, () => patient.AccessToken);
        await hub.Connection.InvokeAsync("Ping", ct);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        Assert.Equal(HttpStatusCode.OK, await MeAsync(patient.AccessToken));
        await LockAsync(patient);
        var lockRefused = await RefusedOnSilo2Async(patient.AccessToken);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);

        // A logout ends its session on silo 2 at once.
        var other = await silo2.RegisterPatientAsync();
        Assert.Equal(HttpStatusCode.OK, await MeAsync(other.AccessToken));
        using (var logout = await silo1.SendAsync(HttpMethod.Post, "/api/v1/identity/logout", new { refreshToken = other.RefreshToken }, other.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        var logoutRefused = await RefusedOnSilo2Async(other.AccessToken);

        // Both silos' listening connections are cut (as a database restart or a network blip would); each listens again.
        const string Listeners = "FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN identity_revocations'";
        await using (var db = new Npgsql.NpgsqlConnection(cluster.ConnectionString))
        {
            await db.OpenAsync(ct);
            await using var cut = new Npgsql.NpgsqlCommand($"SELECT count(pg_terminate_backend(pid)) {Listeners}", db);
            Assert.Equal(2L, await cut.ExecuteScalarAsync(ct));
            await using var count = new Npgsql.NpgsqlCommand($"SELECT count(*) {Listeners}", db);
            for (var deadline = Deadline.InSeconds(20); (long)(await count.ExecuteScalarAsync(ct))! < 2; await Task.Delay(100, ct))
            {
                Assert.False(deadline.Passed, "the silos did not listen again within 20 s");
            }
        }

        var third = await silo2.RegisterPatientAsync();
        Assert.Equal(HttpStatusCode.OK, await MeAsync(third.AccessToken));
        await LockAsync(third);
        var afterCut = await RefusedOnSilo2Async(third.AccessToken);

        // A database or a proxy that keeps cutting the listening connection: each silo listens again at once the first
        // time, then after a growing pause (1 s, 2 s, ...), not in a tight loop. Every listener is cut as soon as it
        // appears, for 4 s; then the silos listen again by themselves.
        var opened = new HashSet<int>();
        await using (var db = new Npgsql.NpgsqlConnection(cluster.ConnectionString))
        {
            await db.OpenAsync(ct);
            for (var until = Deadline.InSeconds(4); !until.Passed; await Task.Delay(10, ct))
            {
                await using var cut = new Npgsql.NpgsqlCommand($"SELECT pid, pg_terminate_backend(pid) {Listeners}", db);
                await using var reader = await cut.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    opened.Add(reader.GetInt32(0));
                }
            }

            await using var count = new Npgsql.NpgsqlCommand($"SELECT count(*) {Listeners}", db);
            for (var deadline = Deadline.InSeconds(20); (long)(await count.ExecuteScalarAsync(ct))! < 2; await Task.Delay(100, ct))
            {
                Assert.False(deadline.Passed, "the silos did not listen again within 20 s of the last cut");
            }
        }

        // Per silo in 4 s: the connection that was listening, one at once, then after 1 s and 2 s (3 s and 4 s if slow).
        Assert.InRange(opened.Count, 2, 10);
        Figures.Report($"Revocation announced: refused on the other silo {lockRefused.TotalMilliseconds:0} ms after a lock, " +
            $"{logoutRefused.TotalMilliseconds:0} ms after a logout, {afterCut.TotalMilliseconds:0} ms after a lock once its listening connection had been cut; " +
            $"{opened.Count} listening connections opened by the two silos while every one was cut for 4 s");
    }

    [Fact]
    public async Task AdminLock_EndsTheAccountsTokensAndHubConnections_OnEverySilo_WithinSeconds()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var patient = await silo2.RegisterPatientAsync();
        var bystander = await silo2.RegisterPatientAsync();
        var token = patient.AccessToken;
        var hub = await HubClient.ConnectAsync(silo2.BaseUrl, () => token);
        await hub.Connection.InvokeAsync("Ping", ct);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        async Task<HttpStatusCode> MeAsync(TelemedicinaApi api, string bearer)
        {
            using var response = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", null, bearer);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await MeAsync(silo2, token));

        // The admin locks the account on silo 1: its token is refused there at once, and on silo 2 within seconds
        // (it was accepted for the rest of its 15 minutes); the hub connection it opened on silo 2 is closed.
        using (var locked = await silo1.SendAsync(HttpMethod.Post, $"/api/v1/admin/users/{patient.Id}/lock", null, fixture.Admin.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(silo1, token));
        while (await MeAsync(silo2, token) != HttpStatusCode.Unauthorized)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "silo 2 still accepts the locked account's token");
            await Task.Delay(200, ct);
        }

        Figures.Report($"Admin lock: the token refused on the other silo after {clock.Elapsed.TotalSeconds:0.0} s");
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
        await hub.DisposeAsync();
        var reconnect = await Record.ExceptionAsync(async () => await HubClient.ConnectAsync(silo1.BaseUrl, () => token));
        Assert.NotNull(reconnect);

        // Nobody else's session is touched; once unlocked, a new login works.
        Assert.Equal(HttpStatusCode.OK, await MeAsync(silo1, bystander.AccessToken));
        using (var unlocked = await silo1.SendAsync(HttpMethod.Post, $"/api/v1/admin/users/{patient.Id}/unlock", null, fixture.Admin.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, unlocked.StatusCode);
        }

        await silo2.LoginAsync(patient);
        Assert.NotEqual(token, patient.AccessToken);
        Assert.Equal(HttpStatusCode.OK, await MeAsync(silo1, patient.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(silo2, patient.AccessToken));
    }

    [Fact]
    public async Task RateLimits_LoginPerAccountAndPerIp_Answer429ProblemJson_AndHubMessagesPerConnection()
    {
        var ct = TestContext.Current.CancellationToken;
        var silo = fixture.Cluster.AddStandaloneSilo(new Dictionary<string, string>
        {
            ["RateLimits__Login__PermitPerMinute"] = "6",
            ["RateLimits__LoginPerAccount__PermitPerMinute"] = "3",
            ["Calls__MessageBurst"] = "10",
            ["Calls__MessagesPerSecond"] = "5",
        });
        await silo.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var registrar = fixture.Cluster.Api(0);
        var first = await registrar.RegisterPatientAsync();
        var second = await registrar.RegisterPatientAsync();
        using var limited = new TelemedicinaApi(silo.BaseUrl);

        for (var i = 0; i < 3; i++)
        {
            using var ok = await limited.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = first.Email, password = first.Password });
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var perAccount = await limited.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = first.Email, password = first.Password }))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, perAccount.StatusCode);
            Assert.Equal("application/problem+json", perAccount.Content.Headers.ContentType?.MediaType);

            // When to try again: within the limiter's one-minute window.
            var retryAfter = perAccount.Headers.RetryAfter?.Delta;
            Assert.True(retryAfter is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After: {perAccount.Headers.RetryAfter}");
        }

        using (var otherAccount = await limited.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = second.Email, password = second.Password }))
        {
            Assert.Equal(HttpStatusCode.OK, otherAccount.StatusCode);
        }

        // Sixth request from this address in the minute: the per-IP policy answers.
        using (var sixth = await limited.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = second.Email, password = second.Password }))
        {
            Assert.Equal(HttpStatusCode.OK, sixth.StatusCode);
        }

        using var perIp = await limited.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = second.Email, password = second.Password });
        Assert.Equal(HttpStatusCode.TooManyRequests, perIp.StatusCode);
        Assert.Equal("application/problem+json", perIp.Content.Headers.ContentType?.MediaType);
        Assert.True(perIp.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After: {perIp.Headers.RetryAfter}");

        // The hub's message limit per connection (burst 10, then 5/s, replenished as time passes): every
        // invocation here is refused anyway (a room the caller has not joined), but past the burst it is
        // refused for its rate, and a moment later it is let through again.
        await using (var hub = await HubClient.ConnectAsync(silo.BaseUrl, () => first.AccessToken))
        {
            var notJoined = Guid.NewGuid().ToString();
            async Task<string> SignalAsync() => (await Assert.ThrowsAsync<HubException>(() =>
                hub.Connection.InvokeAsync("Signal", notJoined, Guid.NewGuid().ToString(), "candidate", "{}", ct))).Message;

            var answers = new List<string>();
            for (var i = 0; i < 40; i++)
            {
                answers.Add(await SignalAsync());
            }

            Assert.All(answers.Take(10), a => Assert.Contains("não está nesta sala", a, StringComparison.Ordinal));
            Assert.Contains(answers.Skip(10), a => a.Contains("Mensagens demais", StringComparison.Ordinal));
            await Task.Delay(TimeSpan.FromSeconds(1.5), ct);
            Assert.Contains("não está nesta sala", await SignalAsync(), StringComparison.Ordinal);
        }

        await silo.StopAsync();
    }

    [Fact]
    public async Task TwoFactor_WrongRefused_RightAcceptedOnce_ReplayRefused_RecoveryCodeOnce()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        var setup = await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/identity/2fa/setup", null, patient.AccessToken);
        var secret = setup.GetProperty("secret").GetString()!;
        Assert.StartsWith("otpauth://totp/", setup.GetProperty("otpauthUri").GetString(), StringComparison.Ordinal);
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        var step = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
        string CodeAt(long s) => totp.ComputeTotp(DateTimeOffset.FromUnixTimeSeconds(s * 30).UtcDateTime);

        using (var wrong = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/2fa/enable", new { code = Wrong(CodeAt(step)) }, patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }

        var enabled = await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/identity/2fa/enable", new { code = CodeAt(step) }, patient.AccessToken);
        var recovery = enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        Assert.Equal(10, recovery.Length);

        // Login now asks for the second factor; the code used to enable is spent, the next step's is fresh.
        var challenge = await LoginChallengeAsync(api, patient);
        using (var replayed = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login/2fa", new { challengeToken = challenge, code = CodeAt(step) }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        }

        var login = await api.SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/login/2fa", new { challengeToken = challenge, code = CodeAt(step + 1) }, null);
        Assert.False(string.IsNullOrEmpty(login.AccessToken));
        Assert.Equal("mfa", Jwt.Payload(login.AccessToken!)["amr"]!.GetValue<string>());

        // One password check, one session: the spent challenge is refused with another right code (a recovery code,
        // which it does not consume), on the other silo too.
        using var otherSilo = fixture.Cluster.Api(1);
        using (var challengeAgain = await otherSilo.SendAsync(HttpMethod.Post, "/api/v1/identity/login/2fa", new { challengeToken = challenge, code = recovery[1] }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, challengeAgain.StatusCode);
            Assert.Contains("já foi usado", await challengeAgain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var replayAgain = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login/2fa", new { challengeToken = await LoginChallengeAsync(api, patient), code = CodeAt(step + 1) }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, replayAgain.StatusCode);
        }

        var byRecovery = await api.SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/login/2fa",
            new { challengeToken = await LoginChallengeAsync(api, patient), code = recovery[0] }, null);
        Assert.False(string.IsNullOrEmpty(byRecovery.AccessToken));
        using var recoveryAgain = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login/2fa",
            new { challengeToken = await LoginChallengeAsync(api, patient), code = recovery[0] });
        Assert.Equal(HttpStatusCode.Unauthorized, recoveryAgain.StatusCode);
        Assert.False(string.IsNullOrEmpty((await api.SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/login/2fa",
            new { challengeToken = await LoginChallengeAsync(api, patient), code = recovery[1].Replace("-", "", StringComparison.Ordinal).ToLowerInvariant() }, null)).AccessToken));
    }

    [Fact]
    public async Task UnconfirmedEmail_CannotBook_UntilTheOutboxLinkIsFollowed()
    {
        using var api = fixture.Cluster.Api(1);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        var patient = await api.RegisterPatientAsync(confirm: false);
        await api.GrantConsentAsync(patient);

        // The profile says the confirmation is missing and that this deployment needs it (the web then asks for it).
        var me = await api.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/identity/me", null, patient.AccessToken);
        Assert.False(me.GetProperty("emailConfirmed").GetBoolean());
        Assert.True(me.GetProperty("emailConfirmationRequired").GetBoolean());
        var slot = (await api.SlotsAsync(patient, doctor.Id, DateTimeOffset.UtcNow + Scenario.BookingMargin, DateTimeOffset.UtcNow.AddDays(1)))[0];
        using (var refused = await api.SendAsync(HttpMethod.Post, "/api/v1/scheduling/appointments", new { doctorId = doctor.Id, startsAt = TelemedicinaApi.Iso(slot.StartsAt) }, patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        await api.ConfirmEmailAsync(patient);
        var booked = await api.BookAsync(patient, doctor.Id, slot.StartsAt);
        Assert.Equal("scheduled", booked.Status);
    }

    [Fact]
    public async Task PasswordReset_ByOutboxLink_ChangesPassword_AndEndsOldSessions()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        using (var forgot = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/password/forgot", new { email = patient.Email }))
        {
            Assert.Equal(HttpStatusCode.Accepted, forgot.StatusCode);
        }

        using (var unknown = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/password/forgot", new { email = "ninguem@teste.local" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        }

        var query = Outbox.FragmentQuery(await fixture.Cluster.Outbox.WaitForLinkAsync(patient.Email, "reset-password"));
        using (var common = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/password/reset", new { email = patient.Email, token = query["token"], newPassword = "senha12345" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, common.StatusCode);
        }

        using (var reset = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/password/reset", new { email = patient.Email, token = query["token"], newPassword = "Uma frase bem longa 42" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }

        using (var oldSession = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = patient.RefreshToken }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, oldSession.StatusCode);
        }

        var renamed = patient with { Password = "Uma frase bem longa 42" };
        await api.LoginAsync(renamed);
        using (var change = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/password/change",
            new { currentPassword = "errada", newPassword = "Outra frase bem longa 43" }, renamed.AccessToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, change.StatusCode);
        }

        using (var same = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/password/change",
            new { currentPassword = "Uma frase bem longa 42", newPassword = "Uma frase bem longa 42" }, renamed.AccessToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, same.StatusCode);
            Assert.Contains("diferente da atual", await same.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A change ends every session, the changing one's tokens included, and answers that page a new session.
        var other = renamed with { };
        await api.LoginAsync(other);
        var changed = await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/identity/password/change",
            new { currentPassword = "Uma frase bem longa 42", newPassword = "Outra frase bem longa 43" }, renamed.AccessToken);
        var fresh = changed.GetProperty("accessToken").GetString()!;
        foreach (var (token, expected) in new[] { (renamed.AccessToken, HttpStatusCode.Unauthorized), (other.AccessToken, HttpStatusCode.Unauthorized), (fresh, HttpStatusCode.OK) })
        {
            using var me = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", null, token);
            Assert.Equal(expected, me.StatusCode);
        }

        foreach (var (refresh, expected) in new[] { (renamed.RefreshToken, HttpStatusCode.Unauthorized), (other.RefreshToken, HttpStatusCode.Unauthorized), (changed.GetProperty("refreshToken").GetString()!, HttpStatusCode.OK) })
        {
            using var rotated = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = refresh });
            Assert.Equal(expected, rotated.StatusCode);
        }
    }

    [Fact]
    public async Task AdminEndpoints_RefuseNonAdmins_AndAdminResetsTwoFactor()
    {
        using var api = fixture.Cluster.Api(1);
        var patient = await api.RegisterPatientAsync();
        using (var asPatient = await api.SendAsync(HttpMethod.Get, "/api/v1/admin/users", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, asPatient.StatusCode);
        }

        var setup = await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/identity/2fa/setup", null, patient.AccessToken);
        var totp = new Totp(Base32Encoding.ToBytes(setup.GetProperty("secret").GetString()!));
        await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/identity/2fa/enable", new { code = totp.ComputeTotp() }, patient.AccessToken);

        await api.SendAsync<JsonElement>(HttpMethod.Post, $"/api/v1/admin/users/{patient.Id}/reset-2fa", null, fixture.Admin.AccessToken);
        var login = await api.SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = patient.Password }, null);
        Assert.False(login.TwoFactorRequired);

        // Again, now that it is off: nothing to reset, and it says so. It answered 200 and ended the person's sessions.
        using (var again = await api.SendAsync(HttpMethod.Post, $"/api/v1/admin/users/{patient.Id}/reset-2fa", token: fixture.Admin.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Contains("não usa verificação em duas etapas", await again.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        using (var stillIn = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me", token: login.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode);
        }

        var page = await api.SendAsync<JsonElement>(HttpMethod.Get, $"/api/v1/admin/users?role=patient&q={Uri.EscapeDataString(patient.Email)}", null, fixture.Admin.AccessToken);
        Assert.Equal(1, page.GetProperty("total").GetInt32());

        // An admin whose session did not use the second factor is told that is what is missing. (An admin without 2FA
        // cannot be made through the API any more; the role is set in the database here.)
        var second = await api.RegisterPatientAsync();
        await using (var db = new Npgsql.NpgsqlConnection(fixture.Cluster.ConnectionString))
        {
            await db.OpenAsync(TestContext.Current.CancellationToken);
            await using var promote = new Npgsql.NpgsqlCommand("UPDATE identity.users SET role = 'admin' WHERE id = @id", db);
            promote.Parameters.AddWithValue("id", second.Id);
            await promote.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await api.LoginAsync(second);
        using (var withoutSecondFactor = await api.SendAsync(HttpMethod.Get, "/api/v1/admin/users", token: second.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, withoutSecondFactor.StatusCode);
            Assert.Contains("verificação em duas etapas", await withoutSecondFactor.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Not the admin's own: that would skip the password 2fa/disable asks for, and end the admin's admin access.
        using var own = await api.SendAsync(HttpMethod.Post, $"/api/v1/admin/users/{fixture.Admin.Id}/reset-2fa", token: fixture.Admin.AccessToken);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, own.StatusCode);
        Assert.Contains("própria conta", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var stillAdmin = await api.SendAsync(HttpMethod.Get, "/api/v1/admin/users", token: fixture.Admin.AccessToken);
        Assert.Equal(HttpStatusCode.OK, stillAdmin.StatusCode);
    }

    private static async Task<string> LoginChallengeAsync(TelemedicinaApi api, TestUser user)
    {
        var result = await api.SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/login", new { email = user.Email, password = user.Password }, null);
        Assert.True(result.TwoFactorRequired);
        return result.ChallengeToken!;
    }

    private static string Wrong(string code) => ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}
