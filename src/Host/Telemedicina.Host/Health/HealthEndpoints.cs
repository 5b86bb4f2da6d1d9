using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Net.Http.Headers;
using Telemedicina.Host.Composition;

namespace Telemedicina.Host.Health;

/// <summary>A health report: the overall status and each check's, with no exception details.</summary>
/// <param name="Status"><c>Healthy</c>, <c>Degraded</c> or <c>Unhealthy</c>.</param>
/// <param name="Checks">Each check by name (<c>database</c>, <c>cluster</c>), empty for liveness.</param>
internal sealed record HealthView(string Status, IReadOnlyDictionary<string, HealthCheckView> Checks);

/// <summary>One check of a health report.</summary>
internal sealed record HealthCheckView(string Status, string? Description);

/// <summary>
/// <c>GET /health/live</c> and <c>GET /health/ready</c> (CONTRACT.md, "Health and ops"). They are minimal endpoints over the
/// health-check service rather than the health-check middleware so that the OpenAPI document describes them, as it
/// does every other endpoint; the checks, their logging and the answers are the library's and unchanged.
/// </summary>
internal static class HealthEndpoints
{
    /// <summary>The tag of the checks readiness runs.</summary>
    public const string ReadyTag = "ready";

    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", Live)
            .WithTags("Health")
            .AllowAnonymous()
            .WithSummary("Liveness: 200 while the process runs.")
            .Produces<HealthView>()
            .WithMetadata(OpenApiErrorResponses.NoDependencies);
        app.MapGet("/health/ready", ReadyAsync)
            .WithTags("Health")
            .AllowAnonymous()
            .WithSummary("Readiness: 200 when the database answers and this silo is Active in the cluster; otherwise 503 naming the failing check.")
            .Produces<HealthView>()
            .Produces<HealthView>(StatusCodes.Status503ServiceUnavailable);
    }

    private static JsonHttpResult<HealthView> Live(HttpResponse response)
    {
        NoCache(response);
        return TypedResults.Json(new HealthView(nameof(HealthStatus.Healthy), new Dictionary<string, HealthCheckView>()));
    }

    private static async Task<JsonHttpResult<HealthView>> ReadyAsync(HealthCheckService health, HttpResponse response, CancellationToken ct)
    {
        var report = await health.CheckHealthAsync(check => check.Tags.Contains(ReadyTag), ct);
        NoCache(response);
        var view = new HealthView(
            report.Status.ToString(),
            report.Entries.ToDictionary(e => e.Key, e => new HealthCheckView(e.Value.Status.ToString(), e.Value.Description)));
        // Degraded (a silo still joining) is not ready either: the load balancer must not route to it yet.
        return TypedResults.Json(view, statusCode: report.Status == HealthStatus.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    // As the health-check middleware does: a cached answer would hide a change of state from the load balancer.
    private static void NoCache(HttpResponse response)
    {
        response.Headers[HeaderNames.CacheControl] = "no-store, no-cache";
        response.Headers[HeaderNames.Pragma] = "no-cache";
        response.Headers[HeaderNames.Expires] = "Thu, 01 Jan 1970 00:00:00 GMT";
    }
}
