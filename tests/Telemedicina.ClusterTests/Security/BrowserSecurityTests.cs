using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Security;

/// <summary>
/// What a browser relies on: no cross-origin access (CORS), no ambient credential a foreign page
/// could ride on (CSRF), the security headers on the SPA, the API and the hub, and HSTS in the
/// Production environment only.
/// </summary>
// Both classes start extra silos: one collection, so that they do not start four at once on two cores.
[Collection("Security tests with extra silos")]
public sealed partial class BrowserSecurityTests(ClusterFixture fixture)
{
    private const string ForeignOrigin = "https://evil.example";

    private static readonly string CdnOrigin = new Uri(ClusterFixture.AssetsBaseUrl).GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task ForeignOrigin_GetsNoCorsGrant_OnTheApiOrTheHub()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        var responses = new List<(string What, HttpResponseMessage Response)>();
        try
        {
            // Preflights a foreign page would need before sending JSON or a bearer token.
            foreach (var path in new[] { "/api/v1/identity/login", "/api/v1/identity/me", "/api/v1/scheduling/appointments", "/hubs/consultation/negotiate" })
            {
                var preflight = new HttpRequestMessage(HttpMethod.Options, path);
                preflight.Headers.Add("Origin", ForeignOrigin);
                preflight.Headers.Add("Access-Control-Request-Method", "POST");
                preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
                responses.Add(($"OPTIONS {path}", await api.Http.SendAsync(preflight)));
            }

            // Simple requests carrying the Origin header: answered, but with nothing that lets the page read them.
            foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/v1/identity/me"), (HttpMethod.Post, "/hubs/consultation/negotiate?negotiateVersion=1"), (HttpMethod.Get, "/") })
            {
                var request = new HttpRequestMessage(method, path);
                request.Headers.Add("Origin", ForeignOrigin);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", patient.AccessToken);
                responses.Add(($"{method} {path}", await api.Http.SendAsync(request)));
            }

            foreach (var (what, response) in responses)
            {
                Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"), $"{what}: Access-Control-Allow-Origin {string.Join(",", response.Headers.TryGetValues("Access-Control-Allow-Origin", out var v) ? v : [])}");
                Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"), $"{what}: Access-Control-Allow-Credentials");
                Assert.False(response.Headers.Contains("Access-Control-Allow-Headers"), $"{what}: Access-Control-Allow-Headers");
                Assert.True((int)response.StatusCode < 500, $"{what}: {(int)response.StatusCode}");
            }

            // No preflight succeeds, so no browser sends the real request.
            Assert.All(responses.Where(r => r.What.StartsWith("OPTIONS", StringComparison.Ordinal)), r => Assert.False(r.Response.IsSuccessStatusCode, r.What));
        }
        finally
        {
            responses.ForEach(r => r.Response.Dispose());
        }
    }

    [Fact]
    public async Task NoAmbientCredential_APageOnAnotherSiteCouldRideOn()
    {
        using var api = fixture.Cluster.Api(1);
        var admin = fixture.Admin;

        // Sessions travel in the body and the Authorization header, never in cookies.
        using (var login = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = "paciente@telemedicina.local", password = TelemedicinaApi.DemoPassword }))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.False(login.Headers.Contains("Set-Cookie"), "login sets a cookie");
            var tokens = System.Text.Json.JsonSerializer.Deserialize<LoginResult>(await login.Content.ReadAsStringAsync(), ApiJson.Options)!;
            using var refresh = await api.SendAsync(HttpMethod.Post, "/api/v1/identity/refresh", new { refreshToken = tokens.RefreshToken });
            Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
            Assert.False(refresh.Headers.Contains("Set-Cookie"), "refresh sets a cookie");
        }

        // The one cookie (the admin's dashboard session): HttpOnly, SameSite=Strict, only for /ops, Secure behind TLS.
        var cookie = await OpsSessionCookieAsync(api, admin, behindTls: true);
        Assert.Matches("(?i)^ops_token=[^;]+", cookie);
        Assert.Contains("path=/ops", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        var value = cookie.Split(';')[0];

        // A client that sends exactly the cookies it is given (no cookie jar of its own).
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = api.BaseUrl };

        // It opens the dashboard and nothing else: not the API, not the hub.
        foreach (var (method, path, expected) in new[]
        {
            (HttpMethod.Get, "/ops/dashboard/", HttpStatusCode.OK),
            (HttpMethod.Get, "/api/v1/admin/users", HttpStatusCode.Unauthorized),
            (HttpMethod.Get, "/api/v1/identity/me", HttpStatusCode.Unauthorized),
            (HttpMethod.Post, "/api/v1/admin/ops-session", HttpStatusCode.Unauthorized),
            (HttpMethod.Post, "/hubs/consultation/negotiate?negotiateVersion=1", HttpStatusCode.Unauthorized),
        })
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Add("Cookie", value);
            request.Headers.Add("Origin", ForeignOrigin);
            using var response = await http.SendAsync(request);
            Assert.True(expected == response.StatusCode, $"{method} {path} with the ops cookie: {(int)response.StatusCode}");
        }

        // A cross-site form can only send text/plain, form or multipart bodies: the JSON endpoints refuse them.
        foreach (var (path, content) in new (string, HttpContent)[]
        {
            ("/api/v1/identity/login", new StringContent("{\"email\":\"paciente@telemedicina.local\",\"password\":\"x\"}", System.Text.Encoding.UTF8, "text/plain")),
            ("/api/v1/identity/register", new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "a@b.c", ["password"] = "Senha-longa-demais-1", ["fullName"] = "X", ["role"] = "patient" })),
            ("/api/v1/privacy/consents", new StringContent("{\"type\":\"telemedicine\",\"granted\":false}", System.Text.Encoding.UTF8, "text/plain")),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            request.Headers.Add("Origin", ForeignOrigin);
            using var response = await api.Http.SendAsync(request);
            Assert.True(response.StatusCode is HttpStatusCode.UnsupportedMediaType or HttpStatusCode.Unauthorized, $"POST {path} as a form: {(int)response.StatusCode}");
        }

        // A JSON body with no Content-Type at all gets the same 415 problem as one sent as text/plain (it was typed
        // "bad-request" and titled "Requisição inválida" with status 415).
        var problems = new List<System.Text.Json.JsonElement>();
        foreach (var content in new HttpContent[] { new ByteArrayContent("{\"email\":\"a@b.c\",\"password\":\"x\"}"u8.ToArray()), new StringContent("{}", System.Text.Encoding.UTF8, "text/plain") })
        {
            using var response = await api.Http.PostAsync(new Uri("/api/v1/identity/login", UriKind.Relative), content, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            problems.Add(System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone());
        }

        foreach (var member in new[] { "type", "title", "status", "detail" })
        {
            Assert.Equal(problems[1].GetProperty(member).ToString(), problems[0].GetProperty(member).ToString());
        }
    }

    [Fact]
    public async Task SecurityHeaders_OnTheSpa_TheApi_TheHub_AndErrors()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        var index = await api.Http.GetStringAsync(new Uri("/", UriKind.Relative));
        var script = ScriptSource().Match(index);
        Assert.True(script.Success, "index.html loads no /assets/*.js bundle");

        var targets = new (string What, HttpMethod Method, string Path, string? Token)[]
        {
            ("SPA index", HttpMethod.Get, "/", null),
            ("SPA route", HttpMethod.Get, "/index.html", null),
            ("SPA bundle", HttpMethod.Get, script.Groups["src"].Value, null),
            ("API 200", HttpMethod.Get, "/api/v1/identity/me", patient.AccessToken),
            ("API 401", HttpMethod.Get, "/api/v1/identity/me", null),
            ("API 404", HttpMethod.Get, $"/api/v1/scheduling/appointments/{Guid.NewGuid()}", patient.AccessToken),
            ("API 400", HttpMethod.Get, "/api/v1/scheduling/appointments?from=ontem", patient.AccessToken),
            ("OpenAPI", HttpMethod.Get, "/openapi/v1.json", null),
            ("health", HttpMethod.Get, "/health/live", null),
            ("hub negotiate", HttpMethod.Post, "/hubs/consultation/negotiate?negotiateVersion=1&access_token=" + Uri.EscapeDataString(patient.AccessToken), null),
            ("unknown path", HttpMethod.Get, "/nao-existe", null),
        };
        var failures = new List<string>();
        foreach (var (what, method, path, token) in targets)
        {
            using var response = await api.SendAsync(method, path, token: token);
            Assert.True((int)response.StatusCode < 500, $"{what}: {(int)response.StatusCode}");
            string Header(string name) => response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";
            var csp = Header("Content-Security-Policy");
            var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(d => d.Split(' ')[0], d => d.Split(' ').Skip(1).ToArray(), StringComparer.Ordinal);
            string[] Directive(string name) => directives.TryGetValue(name, out var sources) ? sources : [];
            var checks = new (bool Ok, string Problem)[]
            {
                (Header("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options"),
                (Header("X-Frame-Options") == "DENY", "X-Frame-Options"),
                (Header("Referrer-Policy") is "no-referrer" or "same-origin" or "strict-origin" or "strict-origin-when-cross-origin", $"Referrer-Policy '{Header("Referrer-Policy")}'"),
                (Directive("frame-ancestors") is ["'none'"], "CSP frame-ancestors"),
                (Directive("default-src") is ["'self'"], "CSP default-src"),
                (Directive("object-src") is ["'none'"], "CSP object-src"),
                (Directive("base-uri") is ["'self'"] or ["'none'"], "CSP base-uri"),
                // Scripts only from this origin and the CDN the UI was built for (Web:AssetsBaseUrl in the fixture).
                (Directive("script-src").SequenceEqual(["'self'", CdnOrigin]), $"CSP script-src '{string.Join(' ', Directive("script-src"))}'"),
                (!directives.Values.SelectMany(s => s).Contains("*"), "CSP wildcard source"),
                (!response.Headers.Contains("Strict-Transport-Security"), "HSTS over plain HTTP"),
                (!response.Headers.Contains("Server") && !response.Headers.Contains("X-Powered-By"), $"Server header '{Header("Server")}'"),
            };
            failures.AddRange(checks.Where(c => !c.Ok).Select(c => $"{what} ({(int)response.StatusCode} {path}): {c.Problem}"));
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task Hsts_IsSentInProduction_BehindTls_AndNeverInDevelopment()
    {
        var production = fixture.Cluster.AddStandaloneSilo(new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DOTNET_ENVIRONMENT"] = "Production" });
        var development = fixture.Cluster.AddStandaloneSilo(new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development", ["DOTNET_ENVIRONMENT"] = "Development" });
        try
        {
            await Task.WhenAll(production.WaitReadyAsync(TokenAttackTests.ExtraSiloStart), development.WaitReadyAsync(TokenAttackTests.ExtraSiloStart));
            using var prod = new TelemedicinaApi(production.BaseUrl);
            using var dev = new TelemedicinaApi(development.BaseUrl);

            var overTls = await HstsAsync(prod, behindTls: true);
            Assert.NotNull(overTls);
            var maxAge = long.Parse(Regex.Match(overTls, "max-age=(\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(maxAge >= 86_400 * 30, $"HSTS max-age {maxAge} s is under 30 days");

            // Over plain HTTP the header means nothing (and browsers ignore it); in Development never.
            Assert.Null(await HstsAsync(prod, behindTls: false));
            Assert.Null(await HstsAsync(dev, behindTls: true));

            // The rest of the headers do not depend on the environment.
            using var index = await prod.SendAsync(HttpMethod.Get, "/");
            Assert.Contains("frame-ancestors 'none'", index.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }
        finally
        {
            await Task.WhenAll(production.StopAsync(), development.StopAsync());
        }
    }

    /// <summary>The Strict-Transport-Security header of the SPA's index, reached as the public host name (behind the TLS load balancer when asked).</summary>
    private static async Task<string?> HstsAsync(TelemedicinaApi api, bool behindTls)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = "telemedicina.example.com";
        if (behindTls)
        {
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "203.0.113.10");
        }

        using var response = await api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.TryGetValues("Strict-Transport-Security", out var values) ? values.Single() : null;
    }

    /// <summary>Asks for the dashboard cookie as the admin; <paramref name="behindTls"/> as the load balancer forwards HTTPS.</summary>
    private static async Task<string> OpsSessionCookieAsync(TelemedicinaApi api, TestUser admin, bool behindTls)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/admin/ops-session");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin.AccessToken);
        if (behindTls)
        {
            request.Headers.Add("X-Forwarded-Proto", "https");
        }

        using var response = await api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return response.Headers.GetValues("Set-Cookie").Single();
    }

    [GeneratedRegex("<script[^>]+src=\"(?<src>/assets/[^\"]+\\.js)\"")]
    private static partial Regex ScriptSource();
}
