using Microsoft.AspNetCore.Http;

namespace Telemedicina.BuildingBlocks.Http;

/// <summary>Where a request came from, for audit records.</summary>
public static class RequestContext
{
    public static string? ClientIp(this HttpContext? context) => context?.Connection.RemoteIpAddress?.ToString();

    public static string? UserAgent(this HttpContext? context)
    {
        var value = context?.Request.Headers.UserAgent.ToString();
        return string.IsNullOrEmpty(value) ? null : value.Length > 512 ? value[..512] : value;
    }
}
