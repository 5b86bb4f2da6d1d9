using System.Net;
using System.Text.Json;

namespace Telemedicina.ClusterTests.Security;

/// <summary>
/// A NUL character (U+0000) is valid JSON and a valid URL escape, but PostgreSQL text cannot hold it. It is refused
/// with a 400 naming the reason before any database work, so it neither reaches a table nor logs a failed command.
/// </summary>
public sealed class NulCharacterTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ANulCharacterInABodyOrAQuery_IsA400_AndLogsNoError()
    {
        using var api = fixture.Cluster.Api(0);
        var marks = fixture.Cluster.LogMarks();
        var token = fixture.Admin.AccessToken;
        var requests = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Get, "/api/v1/admin/users?q=%00", null),
            (HttpMethod.Get, "/api/v1/admin/users?q=ana%00maria", null),
            (HttpMethod.Post, "/api/v1/identity/register", new { email = "nul@example.org", password = "Uma senha forte 2026!", fullName = "Ana\u0000Maria", role = "patient" }),
            (HttpMethod.Post, "/api/v1/identity/login", new { email = "a\u0000@example.org", password = "x" }),
            (HttpMethod.Post, "/api/v1/admin/incidents", new { title = "T\u0000", description = "d", discoveredAt = DateTimeOffset.UtcNow, dataCategories = new[] { "nome" } }),
        };

        foreach (var (method, path, body) in requests)
        {
            using var response = await api.SendAsync(method, path, body, token);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(400, JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32());
        }

        Assert.Empty(fixture.Cluster.ErrorsSince(marks));
    }
}
