using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Host.Ops;

/// <summary>
/// Lets an admin open the Orleans dashboard in a browser: exchanges the admin's bearer token for
/// an HttpOnly, SameSite=Strict cookie scoped to <c>/ops</c> that expires with the token.
/// </summary>
internal static class OpsSession
{
    public const string CookieName = Identity.IdentityModule.OpsCookieName;

    public static void MapOpsSession(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/admin/ops-session", Create).RequireAuthorization(Policies.Admin).WithTags("Admin");

    private static NoContent Create(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        var expires = context.User.FindFirst("exp")?.Value is { } exp && long.TryParse(exp, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.UtcNow.AddMinutes(15);
        context.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            Path = "/ops",
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict,
            Expires = expires,
        });
        context.Response.Headers[HeaderNames.CacheControl] = "no-store";
        return TypedResults.NoContent();
    }
}
