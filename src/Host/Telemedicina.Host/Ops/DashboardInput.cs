using Telemedicina.BuildingBlocks.Http;

namespace Telemedicina.Host.Ops;

/// <summary>
/// Input checks in front of the Orleans dashboard's endpoints: the dashboard parses the silo address
/// of its per-silo routes inside a grain constructor and answered a malformed one with a 500.
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

        return await next(context);
    }

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
