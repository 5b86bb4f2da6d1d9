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

namespace Telemedicina.Identity.Endpoints.TwoFactorSetup;

internal sealed record TwoFactorSetupResponse(string Secret, string OtpauthUri);

internal sealed record TwoFactorCodeRequest(string? Code);

internal sealed record TwoFactorEnabledResponse(string[] RecoveryCodes);

internal sealed record PasswordRequest(string? Password);

/// <summary>TOTP authenticator setup on ASP.NET Core Identity's key and recovery codes.</summary>
internal static class TwoFactorEndpoints
{
    private const string Issuer = "Telemedicina Para Todos";

    public static void MapTwoFactor(this RouteGroupBuilder group)
    {
        group.MapPost("/2fa/setup", SetupAsync).RequireAuthorization(Policies.Authenticated)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/2fa/enable", EnableAsync).RequireAuthorization(Policies.Authenticated).RequireRateLimiting(IdentityModule.LoginRateLimit)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/2fa/disable", DisableAsync).RequireAuthorization(Policies.Authenticated).RequireRateLimiting(IdentityModule.LoginRateLimit)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Results<Ok<TwoFactorSetupResponse>, ProblemHttpResult>> SetupAsync(
        ClaimsPrincipal principal, UserManager<AppUser> users, TwoFactor twoFactor, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(principal.GetId().ToString());
        if (user is null)
        {
            return Problems.NotFound();
        }

        if (user.TwoFactorEnabled)
        {
            return Problems.Conflict("A verificação em duas etapas já está ativa. Desative-a antes de configurar outro aplicativo.");
        }

        await users.ResetAuthenticatorKeyAsync(user);
        await twoFactor.ResetReplayGuardAsync(user, ct);
        var secret = (await users.GetAuthenticatorKeyAsync(user))!;
        var uri = $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(user.Email!)}?secret={secret}&issuer={Uri.EscapeDataString(Issuer)}&algorithm=SHA1&digits=6&period=30";
        return TypedResults.Ok(new TwoFactorSetupResponse(secret, uri));
    }

    private static async Task<Results<Ok<TwoFactorEnabledResponse>, ValidationProblem, ProblemHttpResult>> EnableAsync(
        TwoFactorCodeRequest request, ClaimsPrincipal principal, UserManager<AppUser> users, TwoFactor twoFactor, IAuditTrail audit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Code) || request.Code.Trim().Length != 6)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["code"] = ["Informe o código de 6 dígitos do aplicativo."] });
        }

        var user = await users.FindByIdAsync(principal.GetId().ToString());
        if (user is null)
        {
            return Problems.NotFound();
        }

        if (user.TwoFactorEnabled)
        {
            return Problems.Conflict("A verificação em duas etapas já está ativa.");
        }

        if (!await twoFactor.VerifyTotpAsync(user, request.Code.Trim(), ct))
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["code"] = ["Código inválido. Confira o horário do celular e tente de novo."] });
        }

        await users.SetTwoFactorEnabledAsync(user, true);
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))!.ToArray();
        await audit.RecordAsync(new AuditEvent(AuditActions.Security, "TwoFactor", user.Id.ToString(), user.Id, user.Role, user.Id,
            Details: new Dictionary<string, string> { ["event"] = "2fa-enabled" }), ct);
        return TypedResults.Ok(new TwoFactorEnabledResponse(codes));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DisableAsync(
        PasswordRequest request, ClaimsPrincipal principal, UserManager<AppUser> users, IAuditTrail audit, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Password) || request.Password.Length > 256)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["password"] = ["Informe sua senha."] });
        }

        var user = await users.FindByIdAsync(principal.GetId().ToString());
        if (user is null)
        {
            return Problems.NotFound();
        }

        if (user.Role == Roles.Admin)
        {
            return Problems.Forbidden("Contas de administração precisam da verificação em duas etapas.");
        }

        if (!await users.CheckPasswordAsync(user, request.Password))
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Security, "TwoFactor", user.Id.ToString(), user.Id, user.Role, user.Id, AuditOutcomes.Failure,
                Details: new Dictionary<string, string> { ["event"] = "2fa-disable-wrong-password" }), ct);
            return Problems.Validation(new Dictionary<string, string[]> { ["password"] = ["Senha incorreta."] });
        }

        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user);
        await audit.RecordAsync(new AuditEvent(AuditActions.Security, "TwoFactor", user.Id.ToString(), user.Id, user.Role, user.Id,
            Details: new Dictionary<string, string> { ["event"] = "2fa-disabled" }), ct);
        return TypedResults.NoContent();
    }
}
