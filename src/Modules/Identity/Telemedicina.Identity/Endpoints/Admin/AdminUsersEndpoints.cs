using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Application;
using Telemedicina.Identity.Contracts;
using Telemedicina.Identity.Domain;
using Telemedicina.Identity.Infrastructure;

namespace Telemedicina.Identity.Endpoints.Admin;

internal sealed record AdminUserView(
    Guid UserId,
    string Email,
    string FullName,
    string Role,
    AccountStatus Status,
    bool EmailConfirmed,
    bool TwoFactorEnabled,
    DateTimeOffset CreatedAt,
    string? Crm,
    string? CrmState,
    string? Specialty);

internal sealed record AdminUserPage(AdminUserView[] Items, int Page, int PageSize, int Total);

internal sealed record AccountStatusResponse(Guid UserId, AccountStatus Status);

internal static class AdminUsersEndpoints
{
    private const int PageSize = 25;

    public static void MapAdminUsers(this RouteGroupBuilder admin)
    {
        admin.MapGet("/users", SearchAsync);
        admin.MapPost("/doctors/{id:guid}/verify", VerifyDoctorAsync).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/users/{id:guid}/lock", LockAsync)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        admin.MapPost("/users/{id:guid}/unlock", UnlockAsync).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/users/{id:guid}/reset-2fa", ResetTwoFactorAsync)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<Results<Ok<AdminUserPage>, ValidationProblem>> SearchAsync(
        string? role, string? q, string? status, int? page, ClaimsPrincipal principal, IdentityDb db, IAuditTrail audit, CancellationToken ct)
    {
        var wanted = ParseStatus(status);
        var validation = new Validation()
            .Require(role is null || Roles.IsKnown(role), "role", "Perfil desconhecido.")
            .Require(status is null || wanted is not null, "status", "Situação desconhecida: use active, pendingVerification ou locked.")
            .MaxLength(q, "q", 100, "Busca")
            .Require(page is null or >= 1 and <= 100_000, "page", "Página inválida.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var query = db.Users.AsNoTracking().Include(u => u.DoctorProfile).Where(u => u.Status != AccountStatus.Erased);
        if (role is not null)
        {
            query = query.Where(u => u.Role == role);
        }

        if (wanted is { } only)
        {
            query = query.Where(u => u.Status == only);
        }

        if (!string.IsNullOrWhiteSpace(q))
        {
            var pattern = "%" + q.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
            query = query.Where(u => EF.Functions.ILike(EF.Functions.Unaccent(u.FullName), EF.Functions.Unaccent(pattern)) || EF.Functions.ILike(u.Email!, pattern));
        }

        var number = page ?? 1;
        var total = await query.CountAsync(ct);
        var items = await query.OrderBy(u => u.FullName).ThenBy(u => u.Id).Skip((number - 1) * PageSize).Take(PageSize).ToListAsync(ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "UserList", null, principal.GetId(), Roles.Admin, null, Purpose: "administration",
            Details: new Dictionary<string, string> { ["count"] = items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }), ct);
        // Each account listed shows its name and e-mail to the admin: a read of that person's data, which their access
        // report must show (LGPD).
        await Task.WhenAll(items.Select(u =>
            audit.RecordAsync(new AuditEvent(AuditActions.Read, "User", u.Id.ToString(), principal.GetId(), Roles.Admin, u.Id, Purpose: "administration"), ct)));
        var views = items.Select(u => new AdminUserView(u.Id, u.Email!, u.FullName, u.Role, u.Status, u.EmailConfirmed, u.TwoFactorEnabled, u.CreatedAt,
            u.DoctorProfile?.Crm, u.DoctorProfile?.CrmState, u.DoctorProfile?.Specialty)).ToArray();
        return TypedResults.Ok(new AdminUserPage(views, number, PageSize, total));
    }

    /// <summary>The status filter as the API writes statuses (camelCase); an erased account is never listed.</summary>
    private static AccountStatus? ParseStatus(string? status) => status switch
    {
        "active" => AccountStatus.Active,
        "pendingVerification" => AccountStatus.PendingVerification,
        "locked" => AccountStatus.Locked,
        _ => null,
    };

    private static async Task<Results<Ok<AccountStatusResponse>, ProblemHttpResult>> VerifyDoctorAsync(
        Guid id, ClaimsPrincipal principal, IdentityDb db, IAuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        var user = await db.Users.Include(u => u.DoctorProfile).SingleOrDefaultAsync(u => u.Id == id && u.Role == Roles.Doctor, ct);
        if (user?.DoctorProfile is null || user.Status == AccountStatus.Erased)
        {
            return Problems.NotFound("Médico não encontrado.");
        }

        if (user.DoctorProfile.VerifiedAt is null)
        {
            user.DoctorProfile.VerifiedAt = clock.GetUtcNow();
            user.DoctorProfile.VerifiedBy = principal.GetId();
            if (user.Status == AccountStatus.PendingVerification)
            {
                user.Status = AccountStatus.Active;
            }

            await db.SaveChangesAsync(ct);
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Update, "DoctorVerification", id.ToString(), principal.GetId(), Roles.Admin, id, Purpose: "administration"), ct);
        return TypedResults.Ok(new AccountStatusResponse(user.Id, user.Status));
    }

    private static async Task<Results<Ok<AccountStatusResponse>, ProblemHttpResult>> LockAsync(
        Guid id, ClaimsPrincipal principal, UserManager<AppUser> users, TokenService tokens, IAuditTrail audit, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null || user.Status == AccountStatus.Erased)
        {
            return Problems.NotFound("Usuário não encontrado.");
        }

        if (user.Id == principal.GetId())
        {
            return Problems.Unprocessable("Você não pode bloquear a própria conta.");
        }

        user.Status = AccountStatus.Locked;
        await users.UpdateAsync(user);
        await users.UpdateSecurityStampAsync(user);
        await tokens.RevokeAllAsync(user.Id, "locked", ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Update, "AccountLock", id.ToString(), principal.GetId(), Roles.Admin, id, Purpose: "administration"), ct);
        return TypedResults.Ok(new AccountStatusResponse(user.Id, user.Status));
    }

    private static async Task<Results<Ok<AccountStatusResponse>, ProblemHttpResult>> UnlockAsync(
        Guid id, ClaimsPrincipal principal, IdentityDb db, UserManager<AppUser> users, IAuditTrail audit, CancellationToken ct)
    {
        var user = await db.Users.Include(u => u.DoctorProfile).SingleOrDefaultAsync(u => u.Id == id, ct);
        if (user is null || user.Status == AccountStatus.Erased)
        {
            return Problems.NotFound("Usuário não encontrado.");
        }

        user.Status = user.Role == Roles.Doctor && user.DoctorProfile?.VerifiedAt is null ? AccountStatus.PendingVerification : AccountStatus.Active;
        user.LockoutEnd = null;
        user.AccessFailedCount = 0;
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Update, "AccountUnlock", id.ToString(), principal.GetId(), Roles.Admin, id, Purpose: "administration"), ct);
        return TypedResults.Ok(new AccountStatusResponse(user.Id, user.Status));
    }

    private static async Task<Results<Ok<AccountStatusResponse>, ProblemHttpResult>> ResetTwoFactorAsync(
        Guid id, ClaimsPrincipal principal, UserManager<AppUser> users, TokenService tokens, IAuditTrail audit, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null || user.Status == AccountStatus.Erased)
        {
            return Problems.NotFound("Usuário não encontrado.");
        }

        // Another admin's act for one who lost the phone. An admin's own second factor goes through 2fa/disable, which
        // asks for the password; here it would skip that, and end the admin's access to every admin endpoint (they
        // need a session made with the second factor) without a word.
        if (user.Id == principal.GetId())
        {
            return Problems.Unprocessable("Você não pode redefinir a verificação em duas etapas da própria conta. Use Perfil > Verificação em duas etapas, que pede a sua senha, ou peça a outro administrador.");
        }

        // Nothing to reset: it answered 200 and ended all of the person's sessions for nothing.
        if (!user.TwoFactorEnabled)
        {
            return Problems.Conflict("Esta conta não usa verificação em duas etapas: não há o que redefinir.");
        }

        // For a user who lost the phone: 2FA off, old key and recovery codes void, sessions ended.
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user);
        await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 0);
        await tokens.RevokeAllAsync(user.Id, "2fa-reset", ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Security, "TwoFactorReset", id.ToString(), principal.GetId(), Roles.Admin, id, Purpose: "administration"), ct);
        return TypedResults.Ok(new AccountStatusResponse(user.Id, user.Status));
    }
}
