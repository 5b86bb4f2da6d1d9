using System.Net;
using System.Text.Json;

namespace Telemedicina.ClusterTests.Audit;

/// <summary>
/// The incident register (LGPD art. 48) as an admin keeps it: times are UTC on the wire whatever offset they were given
/// in, a notice cannot precede the discovery, and a notice once recorded is not rewritten.
/// </summary>
public sealed class IncidentRegisterTests(ClusterFixture fixture)
{
    private static readonly string[] Categories = ["nome", "agenda"];

    [Fact]
    public async Task TimesAreUtcOnTheWire_ANoticeFollowsTheDiscovery_AndIsNotRewritten()
    {
        using var api = fixture.Cluster.Api(0);
        var token = fixture.Admin.AccessToken;
        var discovered = DateTimeOffset.UtcNow.AddHours(-2);
        var local = discovered.ToOffset(TimeSpan.FromHours(-3));
        var created = await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/admin/incidents", new
        {
            title = "Planilha enviada ao destinatário errado",
            description = "Uma lista de consultas foi enviada por e-mail a um terceiro.",
            discoveredAt = local.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture),
            dataCategories = Categories,
        }, token, HttpStatusCode.Created);
        foreach (var field in new[] { "discoveredAt", "notifyBy", "createdAt" })
        {
            Assert.EndsWith("+00:00", created.GetProperty(field).GetString(), StringComparison.Ordinal);
        }

        var id = created.GetProperty("id").GetGuid();
        using (var early = await api.SendAsync(HttpMethod.Post, $"/api/v1/admin/incidents/{id}/notices", new { anpdNotifiedAt = discovered.AddDays(-1) }, token))
        {
            Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
            Assert.Contains("anterior à descoberta", await early.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var notifiedAt = discovered.AddHours(1);
        var noticed = await api.SendAsync<JsonElement>(HttpMethod.Post, $"/api/v1/admin/incidents/{id}/notices", new { anpdNotifiedAt = notifiedAt }, token);
        Assert.Equal(notifiedAt.ToUnixTimeMilliseconds(), noticed.GetProperty("anpdNotifiedAt").GetDateTimeOffset().ToUnixTimeMilliseconds());

        // The same notice again is harmless; another time is refused and the first one stays.
        await api.SendAsync<JsonElement>(HttpMethod.Post, $"/api/v1/admin/incidents/{id}/notices", new { anpdNotifiedAt = notifiedAt }, token);
        using (var rewrite = await api.SendAsync(HttpMethod.Post, $"/api/v1/admin/incidents/{id}/notices", new { anpdNotifiedAt = notifiedAt.AddMinutes(30) }, token))
        {
            Assert.Equal(HttpStatusCode.Conflict, rewrite.StatusCode);
            Assert.Equal("application/problem+json", rewrite.Content.Headers.ContentType?.MediaType);
        }

        var kept = await api.SendAsync<JsonElement>(HttpMethod.Get, $"/api/v1/admin/incidents/{id}", null, token);
        Assert.Equal(notifiedAt.ToUnixTimeMilliseconds(), kept.GetProperty("anpdNotifiedAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.EndsWith("+00:00", kept.GetProperty("notifyBy").GetString(), StringComparison.Ordinal);

        // The people affected are told later; that notice is recorded beside the first.
        var both = await api.SendAsync<JsonElement>(HttpMethod.Post, $"/api/v1/admin/incidents/{id}/notices", new { subjectsNotifiedAt = notifiedAt.AddMinutes(45) }, token);
        Assert.Equal(JsonValueKind.String, both.GetProperty("subjectsNotifiedAt").ValueKind);
        Assert.False(both.GetProperty("overdue").GetBoolean());
    }
}
