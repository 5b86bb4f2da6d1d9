using System.Security.Claims;

namespace Telemedicina.BuildingBlocks.Http;

/// <summary>Reads the caller's id and role from the validated access token's claims.</summary>
public static class CurrentUser
{
    public const string RoleClaim = "role";
    public const string SubjectClaim = "sub";

    public static Guid? FindId(this ClaimsPrincipal principal)
    {
        var value = principal.FindFirstValue(SubjectClaim) ?? principal.FindFirstValue(ClaimTypes.NameIdentifier);
        return Guid.TryParse(value, out var id) ? id : null;
    }

    /// <summary>The caller's id; only for endpoints that require authentication.</summary>
    public static Guid GetId(this ClaimsPrincipal principal) =>
        principal.FindId() ?? throw new InvalidOperationException("The endpoint requires an authenticated user.");

    public static string? FindRole(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(RoleClaim) ?? principal.FindFirstValue(ClaimTypes.Role);
}
