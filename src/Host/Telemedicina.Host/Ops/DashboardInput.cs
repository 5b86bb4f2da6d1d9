using Telemedicina.BuildingBlocks.Http;

namespace Telemedicina.Host.Ops;

/// <summary>
/// Input checks in front of the Orleans dashboard's endpoints: the dashboard parses the silo address
/// of its per-silo routes inside a grain constructor and answered a malformed one with a 500. It also shares one
/// <see cref="System.Text.Json.JsonSerializerOptions"/> between its endpoints, which <c>Results.Json</c> completes on
/// first use; two first requests at once can race on that and one gets a 500 (<see cref="IsFirstUseRace"/>).
/// </summary>
internal static class DashboardInput
{
    private static readonly string[] SiloRoutes = ["/SiloProperties/", "/SiloMetadata/", "/SiloStats/", "/SiloCounters/", "/HistoricalStats/"];

    public static async ValueTask<object?> RefuseMalformedSiloAddressAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var path = context.HttpContext.Request.Path.Value ?? "";
        foreach (var route in SiloRoutes)
        {
            var at = path.IndexOf(route, StringComparison.Ordinal);
            if (at >= 0 && !IsSiloAddress(path[(at + route.Length)..]))
            {
                return Problems.NotFound("Silo desconhecido.");
            }
        }

        try
        {
            return await next(context);
        }
        catch (InvalidOperationException e) when (IsFirstUseRace(e))
        {
            // The other request has made the options read-only by now, so this time they are used as they are. The
            // dashboard's routes only read.
            return await next(context);
        }
    }

    /// <summary>
    /// The dashboard's shared JSON options were made read-only by a concurrent first request between
    /// <c>JsonHttpResult</c>'s check and its setting of a type resolver (seen once in CI, under the HTTP fuzzer:
    /// <c>GET /ops/dashboard/version</c> answered 500).
    /// </summary>
    internal static bool IsFirstUseRace(InvalidOperationException e) =>
        e.StackTrace?.Contains("JsonSerializerOptions.set_TypeInfoResolver", StringComparison.Ordinal) == true;

    private static bool IsSiloAddress(string text)
    {
        try
        {
            SiloAddress.FromParsableString(text);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            return false;
        }
    }
}
