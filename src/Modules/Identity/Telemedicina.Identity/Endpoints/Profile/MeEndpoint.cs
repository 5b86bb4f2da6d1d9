using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Contracts;
using Telemedicina.Identity.Infrastructure;

namespace Telemedicina.Identity.Endpoints.Profile;

internal sealed record DoctorProfileView(string Crm, string CrmState, string Specialty, bool Verified);

/// <summary>The caller's profile. <c>EmailConfirmationRequired</c>: whether this deployment asks for a confirmed e-mail to book and to list a doctor.</summary>
internal sealed record MeResponse(
    Guid Id,
    string Email,
    string FullName,
    string Role,
    AccountStatus Status,
    bool EmailConfirmed,
    bool TwoFactorEnabled,
    string? TimeZone,
    string? Phone,
    string? BirthDate,
    DoctorProfileView? Doctor,
    bool EmailConfirmationRequired);

internal static class MeEndpoint
{
    public static void MapMe(this RouteGroupBuilder group) => group.MapGet("/me", HandleAsync).RequireAuthorization(Policies.Authenticated)
        .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> HandleAsync(
        ClaimsPrincipal principal, IdentityDb db, PersonalDataProtector personalData, IAuditTrail audit, IOptions<IdentitySettings> settings,
        CancellationToken ct)
    {
        var userId = principal.GetId();
        var user = await db.Users.AsNoTracking().Include(u => u.DoctorProfile).SingleOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || user.Status == AccountStatus.Erased)
        {
            return Problems.NotFound();
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "UserProfile", user.Id.ToString(), userId, user.Role, user.Id, Purpose: "self-service"), ct);
        var doctor = user.DoctorProfile is { } d ? new DoctorProfileView(d.Crm, d.CrmState, d.Specialty, d.VerifiedAt is not null) : null;
        return TypedResults.Ok(new MeResponse(
            user.Id, user.Email!, user.FullName, user.Role, user.Status, user.EmailConfirmed, user.TwoFactorEnabled, user.TimeZone,
            personalData.Unprotect(user.PhoneProtected), personalData.Unprotect(user.BirthDateProtected), doctor,
            settings.Value.RequireConfirmedEmail));
    }
}
