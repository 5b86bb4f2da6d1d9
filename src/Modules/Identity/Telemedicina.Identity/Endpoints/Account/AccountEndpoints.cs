using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Application;
using Telemedicina.Identity.Contracts;
using Telemedicina.Identity.Domain;

namespace Telemedicina.Identity.Endpoints.Account;

internal sealed record ConfirmEmailRequest(Guid? UserId, string? Token);

internal sealed record EmailRequest(string? Email);

internal sealed record ResetPasswordRequest(string? Email, string? Token, string? NewPassword);

internal sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

internal sealed record ConfirmedResponse(bool EmailConfirmed);

/// <summary>E-mail confirmation and password reset/change. Answers never reveal whether an e-mail has an account.</summary>
internal static class AccountEndpoints
{
    public static void MapAccount(this RouteGroupBuilder group)
    {
        group.MapPost("/confirm-email", ConfirmAsync).AllowAnonymous().RequireRateLimiting(IdentityModule.LoginRateLimit)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/confirm-email/resend", ResendAsync).AllowAnonymous().RequireRateLimiting(IdentityModule.RegisterRateLimit);
        group.MapPost("/password/forgot", ForgotAsync).AllowAnonymous().RequireRateLimiting(IdentityModule.RegisterRateLimit);
        group.MapPost("/password/reset", ResetAsync).AllowAnonymous().RequireRateLimiting(IdentityModule.LoginRateLimit)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/password/change", ChangeAsync).RequireAuthorization(Policies.Authenticated)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Results<Ok<ConfirmedResponse>, ValidationProblem, ProblemHttpResult>> ConfirmAsync(
        ConfirmEmailRequest request, UserManager<AppUser> users, IAuditTrail audit, CancellationToken ct)
    {
        if (request.UserId is not { } userId || string.IsNullOrEmpty(request.Token) || request.Token.Length > 2048)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["token"] = ["Link de confirmação inválido."] });
        }

        var user = await users.FindByIdAsync(userId.ToString());
        if (user is null || user.Status == AccountStatus.Erased)
        {
            return Problems.BadRequest("Link de confirmação inválido ou expirado.");
        }

        if (!user.EmailConfirmed)
        {
            var result = await users.ConfirmEmailAsync(user, request.Token);
            if (!result.Succeeded)
            {
                return Problems.BadRequest("Link de confirmação inválido ou expirado.");
            }

            await audit.RecordAsync(new AuditEvent(AuditActions.Security, "EmailConfirmation", user.Id.ToString(), user.Id, user.Role, user.Id), ct);
        }

        return TypedResults.Ok(new ConfirmedResponse(true));
    }

    private static async Task<Accepted> ResendAsync(EmailRequest request, UserManager<AppUser> users, AccountEmails emails, CancellationToken ct)
    {
        var user = RegistrationRules.IsEmail(request.Email?.Trim()) ? await users.FindByEmailAsync(request.Email!.Trim()) : null;
        if (user is { EmailConfirmed: false } && user.Status != AccountStatus.Erased)
        {
            await emails.SendConfirmationAsync(user, await users.GenerateEmailConfirmationTokenAsync(user), ct);
        }

        return TypedResults.Accepted((string?)null);
    }

    private static async Task<Accepted> ForgotAsync(EmailRequest request, UserManager<AppUser> users, AccountEmails emails, CancellationToken ct)
    {
        var user = RegistrationRules.IsEmail(request.Email?.Trim()) ? await users.FindByEmailAsync(request.Email!.Trim()) : null;
        if (user is not null && user.Status is not (AccountStatus.Erased or AccountStatus.Locked))
        {
            await emails.SendPasswordResetAsync(user, await users.GeneratePasswordResetTokenAsync(user), ct);
        }

        return TypedResults.Accepted((string?)null);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ResetAsync(
        ResetPasswordRequest request, UserManager<AppUser> users, TokenService tokens, IAuditTrail audit, CancellationToken ct)
    {
        var validation = new Validation()
            .Require(RegistrationRules.IsEmail(request.Email?.Trim()), "email", "Informe um e-mail válido.")
            .Require(request.Token is { Length: > 0 and <= 2048 }, "token", "Link de redefinição inválido.")
            .Require(request.NewPassword is { Length: > 0 and <= 256 }, "newPassword", "Informe a nova senha.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var user = await users.FindByEmailAsync(request.Email!.Trim());
        if (user is null || user.Status == AccountStatus.Erased)
        {
            return Problems.BadRequest("Link de redefinição inválido ou expirado.");
        }

        var result = await users.ResetPasswordAsync(user, request.Token!, request.NewPassword!);
        if (!result.Succeeded)
        {
            return result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.InvalidToken))
                ? Problems.BadRequest("Link de redefinição inválido ou expirado.")
                : Problems.Validation(new Dictionary<string, string[]> { ["newPassword"] = result.Errors.Select(e => e.Description).ToArray() });
        }

        await tokens.RevokeAllAsync(user.Id, "password-reset", ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Security, "Password", user.Id.ToString(), user.Id, user.Role, user.Id,
            Details: new Dictionary<string, string> { ["event"] = "password-reset" }), ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Changes the password and ends every session of the account, this one included (whoever knew the old password may
    /// hold any of them), and answers a new session for the page that changed it, as a login does.
    /// </summary>
    private static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> ChangeAsync(
        ChangePasswordRequest request, ClaimsPrincipal principal, UserManager<AppUser> users, TokenService tokens, IAuditTrail audit, CancellationToken ct)
    {
        var validation = new Validation()
            .Require(request.CurrentPassword is { Length: > 0 }, "currentPassword", "Informe a senha atual.")
            .Require(request.CurrentPassword is not { Length: > 256 }, "currentPassword", "A senha tem no máximo 256 caracteres.")
            .Require(request.NewPassword is { Length: > 0 and <= 256 }, "newPassword", "Informe a nova senha.");
        validation.Require(!validation.IsValid || request.NewPassword != request.CurrentPassword, "newPassword", "A nova senha deve ser diferente da atual.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var user = await users.FindByIdAsync(principal.GetId().ToString());
        if (user is null)
        {
            return Problems.NotFound();
        }

        var result = await users.ChangePasswordAsync(user, request.CurrentPassword!, request.NewPassword!);
        if (!result.Succeeded)
        {
            var field = result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch)) ? "currentPassword" : "newPassword";
            return Problems.Validation(new Dictionary<string, string[]> { [field] = result.Errors.Select(e => e.Description).ToArray() });
        }

        // Every other session ends: a changed password must lock out whoever knew the old one.
        // Every session ends, access tokens included: a changed password must lock out whoever knew the old one. (The
        // page's own refresh token was revoked too, so with a 204 it was signed out at its next refresh, 15 minutes
        // after being told that only the other sessions had ended.)
        await tokens.RevokeAllAsync(user.Id, "password-changed", ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Security, "Password", user.Id.ToString(), user.Id, user.Role, user.Id,
            Details: new Dictionary<string, string> { ["event"] = "password-changed" }), ct);
        var mfa = principal.FindFirst(TokenService.AuthenticationMethodClaim)?.Value == "mfa";
        return TypedResults.Ok(await tokens.IssueAsync(user, null, mfa, ct));
    }
}
