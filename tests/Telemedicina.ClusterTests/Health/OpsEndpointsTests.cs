using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Telemedicina.ClusterTests.Health;

/// <summary>Operator surfaces: the dashboard is admin-only, OpenAPI describes the API.</summary>
public sealed class OpsEndpointsTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Dashboard_WhenNotAdmin_IsRefused_AndAdminGetsIn()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();

        using (var anonymous = await api.SendAsync(HttpMethod.Get, "/ops/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var asPatient = await api.SendAsync(HttpMethod.Get, "/ops/dashboard/", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, asPatient.StatusCode);
        }

        using var asAdmin = await api.SendAsync(HttpMethod.Get, "/ops/dashboard/", token: fixture.Admin.AccessToken);
        Assert.Equal(HttpStatusCode.OK, asAdmin.StatusCode);
    }

    [Fact]
    public async Task OpenApi_Document_ListsTheContractPaths_WithTheirStatuses_AndEveryErrorIsProblemJson()
    {
        using var api = fixture.Cluster.Api(1);
        using var response = await api.SendAsync(HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var paths = document.RootElement.GetProperty("paths");

        // CONTRACT.md's operations with the statuses it names for them (health included: "every HTTP endpoint").
        var contract = new (string Method, string Path, int[] Statuses)[]
        {
            ("get", "/health/live", [200]),
            ("get", "/health/ready", [200, 503]),
            ("get", "/ops/dashboard", [200, 401, 403]),
            ("post", "/api/v1/identity/register", [201, 400, 409]),
            ("post", "/api/v1/identity/login", [200, 401, 423, 429]),
            ("post", "/api/v1/identity/refresh", [200, 401]),
            ("get", "/api/v1/identity/me", [200, 401]),
            ("get", "/api/v1/admin/users", [200, 401, 403]),
            ("get", "/api/v1/scheduling/doctors", [200]),
            ("put", "/api/v1/scheduling/doctors/me/availability", [200, 400, 403]),
            ("get", "/api/v1/scheduling/doctors/{doctorId}/slots", [200]),
            ("post", "/api/v1/scheduling/appointments", [201, 400, 409, 422]),
            ("get", "/api/v1/scheduling/appointments", [200]),
            ("get", "/api/v1/scheduling/appointments/{id}", [200, 404]),
            ("post", "/api/v1/scheduling/appointments/{id}/cancel", [200, 404, 409]),
            ("post", "/api/v1/calls", [201, 403, 404, 409, 422]),
            ("post", "/api/v1/calls/{roomId}/accept", [200, 403, 404, 409]),
            ("get", "/api/v1/calls/{roomId}", [200, 404]),
            ("get", "/api/v1/calls/ice-servers", [200]),
            ("get", "/api/v1/privacy/consents", [200]),
            ("get", "/api/v1/privacy/access-report", [200, 400]),
            ("post", "/api/v1/privacy/export", [202]),
            ("get", "/api/v1/privacy/export/{exportId}", [200, 404]),
            ("post", "/api/v1/privacy/erasure", [200, 403]),
            ("get", "/api/v1/admin/audit", [200, 400, 403]),
            ("get", "/api/v1/admin/audit/verify", [200, 403]),
        };
        var missing = new List<string>();
        foreach (var (method, path, statuses) in contract)
        {
            if (!paths.TryGetProperty(path, out var item) || !item.TryGetProperty(method, out var operation))
            {
                missing.Add($"{method.ToUpperInvariant()} {path}");
                continue;
            }

            var responses = operation.GetProperty("responses");
            missing.AddRange(statuses.Where(s => !responses.TryGetProperty(s.ToString(CultureInfo.InvariantCulture), out _))
                .Select(s => $"{method.ToUpperInvariant()} {path} {s}"));
        }

        Assert.True(missing.Count == 0, "OpenAPI lacks: " + string.Join(", ", missing));

        // A login answers 200 with the tokens or with "second factor required": the document names both bodies.
        var login = paths.GetProperty("/api/v1/identity/login").GetProperty("post").GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        var bodies = login.GetProperty("oneOf").EnumerateArray()
            .Select(s => s.TryGetProperty("$ref", out var reference) ? schemas.GetProperty(reference.GetString()!.Split('/')[^1]) : s)
            .Select(s => string.Join(",", s.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)))
            .Order(StringComparer.Ordinal);
        Assert.Equal(["accessToken,expiresAt,refreshToken,user", "challengeToken,twoFactorRequired"], bodies);

        // Every error the document lists is problem+json (readiness's 503 is its own JSON report, naming the checks).
        var notProblems = (
            from item in paths.EnumerateObject()
            from operation in item.Value.EnumerateObject()
            where operation.Value.ValueKind == JsonValueKind.Object && operation.Value.TryGetProperty("responses", out _)
            from answer in operation.Value.GetProperty("responses").EnumerateObject()
            where answer.Name.StartsWith('4') || (answer.Name.StartsWith('5') && item.Name != "/health/ready")
            where !answer.Value.TryGetProperty("content", out var content) || !content.TryGetProperty("application/problem+json", out _)
            select $"{operation.Name.ToUpperInvariant()} {item.Name} {answer.Name}").ToList();
        Assert.True(notProblems.Count == 0, "Errors not described as problem+json: " + string.Join(", ", notProblems));
    }

    [Fact]
    public async Task Responses_CarrySecurityHeaders_AndErrorsAreProblemJson()
    {
        using var api = fixture.Cluster.Api(0);
        using var response = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        // The framework's own problems are titled in Portuguese, as the API's are (they read "Unauthorized", "Not Found").
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal("Não autorizado", JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("title").GetString());
        foreach (var (method, path, status, title) in new[]
        {
            (HttpMethod.Get, "/api/v1/nothing-here", HttpStatusCode.NotFound, "Não encontrado"),
            (HttpMethod.Delete, "/api/v1/identity/login", HttpStatusCode.MethodNotAllowed, "Método não permitido"),
        })
        {
            using var answer = await api.SendAsync(method, path);
            Assert.Equal(status, answer.StatusCode);
            Assert.Equal(title, JsonDocument.Parse(await answer.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("title").GetString());
        }

        using var plain = new HttpRequestMessage(HttpMethod.Post, "/api/v1/identity/login") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "text/plain") };
        using var unsupported = await api.Http.SendAsync(plain, ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unsupported.StatusCode);
        Assert.Equal("Tipo de conteúdo não suportado", JsonDocument.Parse(await unsupported.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("title").GetString());

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        // Web:AssetsBaseUrl (the CDN the UI was built for): its origin, not its path, may serve scripts and styles.
        Assert.Contains("script-src 'self' https://cdn.telemedicina.invalid;", csp, StringComparison.Ordinal);
        Assert.Contains("style-src 'self' 'unsafe-inline' https://cdn.telemedicina.invalid;", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("connect-src 'self' ws: wss: https://cdn", csp, StringComparison.Ordinal);

        using var malformed = new HttpRequestMessage(HttpMethod.Post, "/api/v1/identity/login")
        {
            Content = new StringContent("{\"email\": ", System.Text.Encoding.UTF8, "application/json"),
        };
        using var bad = await api.Http.SendAsync(malformed, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        var body = await bad.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APageAddressWithoutTheHash_TakesTheBrowserToThatPage_AndEveryOtherMissKeepsItsProblem()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Cluster.Silos[0].BaseUrl };
        const string Browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

        async Task<HttpResponseMessage> GetAsync(string path, string accept, HttpMethod? method = null)
        {
            using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Accept", accept);
            return await http.SendAsync(request, ct);
        }

        // What a person types or a message links to: the same page, after the hash, on this origin.
        foreach (var (path, target) in new[]
        {
            ("/login", "/#/login"),
            ("/paciente/", "/#/paciente/"),
            ("/consulta/8d1c4d52-5ad4-4d7c-9a55-6b0d0c3d6a10?x=1", "/#/consulta/8d1c4d52-5ad4-4d7c-9a55-6b0d0c3d6a10?x=1"),
            ("/redefinir-senha/ação", "/#/redefinir-senha/a%C3%A7%C3%A3o"),
        })
        {
            using var page = await GetAsync(path, Browser);
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.Equal(target, page.Headers.Location?.OriginalString);
        }

        using (var head = await GetAsync("/medico", Browser, HttpMethod.Head))
        {
            Assert.Equal(HttpStatusCode.Redirect, head.StatusCode);
        }

        // Not a page: an API client, the server's own paths, a missing file, another method. Each keeps its 404 problem.
        foreach (var (path, accept, method) in new[]
        {
            ("/login", "application/json", HttpMethod.Get),
            ("/login", "text/html;q=0, application/json", HttpMethod.Get),
            ("/api/v1/nothing-here", Browser, HttpMethod.Get),
            ("/hubs/nothing-here", Browser, HttpMethod.Get),
            ("/health/nothing-here", Browser, HttpMethod.Get),
            ("/assets/nothing-here", Browser, HttpMethod.Get),
            ("/favicon-missing.png", Browser, HttpMethod.Get),
            ("/login", Browser, HttpMethod.Post),
        })
        {
            using var miss = await GetAsync(path, accept, method);
            Assert.True(HttpStatusCode.NotFound == miss.StatusCode, $"{method} {path} ({accept}): {(int)miss.StatusCode}");
            Assert.Equal("application/problem+json", miss.Content.Headers.ContentType?.MediaType);
        }

        // The web app itself is still served where it was.
        using var index = await GetAsync("/", Browser);
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
    }
}
