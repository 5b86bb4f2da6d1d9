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
    public async Task OpenApi_Document_ListsTheContractPaths()
    {
        using var api = fixture.Cluster.Api(1);
        using var response = await api.SendAsync(HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[]
        {
            "/api/v1/identity/register", "/api/v1/identity/login", "/api/v1/identity/me",
            "/api/v1/scheduling/doctors", "/api/v1/scheduling/doctors/{doctorId}/slots", "/api/v1/scheduling/appointments",
            "/api/v1/calls", "/api/v1/calls/{roomId}", "/api/v1/calls/ice-servers", "/api/v1/privacy/consents",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
        }
    }

    [Fact]
    public async Task Responses_CarrySecurityHeaders_AndErrorsAreProblemJson()
    {
        using var api = fixture.Cluster.Api(0);
        using var response = await api.SendAsync(HttpMethod.Get, "/api/v1/identity/me");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
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
}
