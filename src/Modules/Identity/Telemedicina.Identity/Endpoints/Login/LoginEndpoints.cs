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

namespace Telemedicina.Identity.Endpoints.Login;

internal sealed record LoginRequest(string? Email, string? Password);

internal sealed record TwoFactorLoginRequest(string? ChallengeToken, string? Code);

internal sealed record TwoFactorRequiredResponse(bool TwoFactorRequired, string ChallengeToken);

internal sealed record RefreshRequest(string? RefreshToken);

internal static class LoginEndpoints
{
    private const string WrongCredentials = "E-mail ou senha inválidos.";
    private const string LockedOut = "Muitas tentativas de acesso. A conta está temporariamente bloqueada; tente mais tarde.";
    private const string ChallengeUsed = "Este desafio de acesso já foi usado. Entre novamente com e-mail e senha.";

    public static void MapLogin(this RouteGroupBuilder group)
    {
        group.MapPost("/login", LoginAsync).AllowAnonymous().RequireRateLimiting(IdentityModule.LoginRateLimit)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status423Locked);
        group.MapPost("/login/2fa", TwoFactorAsync).AllowAnonymous().RequireRateLimiting(IdentityModule.LoginRateLimit)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status423Locked);
        group.MapPost("/refresh", RefreshAsync).AllowAnonymous().RequireRateLimiting(IdentityModule.LoginRateLimit)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapPost("/logout", LogoutAsync).AllowAnonymous();
        group.MapPost("/hub-ticket", HubTicket).RequireAuthorization(Policies.Authenticated);
    }

    /// <summary>
    /// A single-use ticket to open the hub's WebSocket with, in place of the access token, which would otherwise sit in
    /// the URL (and so in the load balancer's access logs). See <see cref="HubTickets"/>.
    /// </summary>
    private static Ok<HubTicket> HubTicket(ClaimsPrincipal user, HubTickets tickets, HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(tickets.Issue(user));
    }

    private static async Task<Results<Ok<LoginResponse>, Ok<TwoFactorRequiredResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest request,
        UserManager<AppUser> users,
        SignInManager<AppUser> signIn,
        TokenService tokens,
        TwoFactor twoFactor,
        AccountLoginLimiter accountLimiter,
        UnknownAccountLockout unknownLockout,
        IAuditTrail audit,
        CancellationToken ct)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Email) && request.Email.Length <= 256, "email", "Informe o e-mail.")
            .Require(!string.IsNullOrEmpty(request.Password), "password", "Informe a senha.")
            .Require(request.Password is not { Length: > 256 }, "password", "A senha tem no máximo 256 caracteres.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        if (!accountLimiter.TryAcquire(request.Email!))
        {
            return Problems.TooManyRequests("Muitas tentativas para esta conta. Aguarde um minuto e tente de novo.");
        }

        var user = await users.FindByEmailAsync(request.Email!.Trim());
        if (user is null || user.Status == AccountStatus.Erased)
        {
            // Same work and answers as a wrong password, lockout included, so unknown e-mails cannot be told apart.
            users.PasswordHasher.HashPassword(new AppUser(), request.Password!);
            var lockedOut = await unknownLockout.FailAsync(users.NormalizeEmail(request.Email.Trim()), ct);
            await audit.RecordAsync(new AuditEvent(AuditActions.Login, "Session", null, null, null, null, lockedOut ? AuditOutcomes.Denied : AuditOutcomes.Failure,
                Details: new Dictionary<string, string> { ["reason"] = lockedOut ? "unknown-account-lockout" : "unknown-account" }), ct);
            return lockedOut ? Problems.Locked(LockedOut) : Problems.Unauthorized(WrongCredentials);
        }

        var result = await signIn.CheckPasswordSignInAsync(user, request.Password!, lockoutOnFailure: true);
        if (result.IsLockedOut)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Login, "Session", null, user.Id, user.Role, user.Id, AuditOutcomes.Denied,
                Details: new Dictionary<string, string> { ["reason"] = "lockout" }), ct);
            return Problems.Locked(LockedOut);
        }

        if (!result.Succeeded)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Login, "Session", null, user.Id, user.Role, user.Id, AuditOutcomes.Failure,
                Details: new Dictionary<string, string> { ["reason"] = "wrong-password" }), ct);
            if (await users.IsLockedOutAsync(user))
            {
                await audit.RecordAsync(new AuditEvent(AuditActions.Security, "Lockout", user.Id.ToString(), user.Id, user.Role, user.Id,
                    Details: new Dictionary<string, string> { ["event"] = "locked-out" }), ct);
            }

            return Problems.Unauthorized(WrongCredentials);
        }

        if (user.Status == AccountStatus.Locked)
        {
            return Problems.Locked("Esta conta está bloqueada. Fale com o suporte.");
        }

        if (user.TwoFactorEnabled)
        {
            return TypedResults.Ok(new TwoFactorRequiredResponse(true, twoFactor.CreateChallenge(user)));
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Login, "Session", null, user.Id, user.Role, user.Id), ct);
        return TypedResults.Ok(await tokens.IssueAsync(user, null, mfa: false, ct));
    }

    private static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> TwoFactorAsync(
        TwoFactorLoginRequest request,
        UserManager<AppUser> users,
        TokenService tokens,
        TwoFactor twoFactor,
        IAuditTrail audit,
        CancellationToken ct)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrEmpty(request.ChallengeToken) && request.ChallengeToken.Length <= 4096, "challengeToken", "Desafio ausente.")
            .Require(!string.IsNullOrWhiteSpace(request.Code) && request.Code.Length <= 64, "code", "Informe o código.");
        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var challenge = await twoFactor.ReadChallengeAsync(request.ChallengeToken!);
        if (challenge is null)
        {
            return Problems.Unauthorized("O desafio expirou ou é inválido. Entre novamente.");
        }

        var user = challenge.User;
        if (await twoFactor.IsSpentAsync(challenge, ct))
        {
            return Problems.Unauthorized(ChallengeUsed);
        }

        if (await users.IsLockedOutAsync(user))
        {
            return Problems.Locked(LockedOut);
        }

        var code = request.Code!.Trim();
        var isTotp = code.Length == 6 && code.All(char.IsAsciiDigit);
        var ok = isTotp ? await twoFactor.VerifyTotpAsync(user, code, ct) : await twoFactor.RedeemRecoveryCodeAsync(user, code);
        if (!ok)
        {
            await users.AccessFailedAsync(user);
            await audit.RecordAsync(new AuditEvent(AuditActions.Login, "Session", null, user.Id, user.Role, user.Id, AuditOutcomes.Failure,
                Details: new Dictionary<string, string> { ["reason"] = "wrong-2fa-code" }), ct);
            return Problems.Unauthorized("Código inválido ou já utilizado.");
        }

        // One password check, one session: the challenge is spent by the first right code.
        if (!await twoFactor.SpendChallengeAsync(challenge, ct))
        {
            return Problems.Unauthorized(ChallengeUsed);
        }

        await users.ResetAccessFailedCountAsync(user);
        if (!isTotp)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Security, "TwoFactor", user.Id.ToString(), user.Id, user.Role, user.Id,
                Details: new Dictionary<string, string> { ["event"] = "recovery-code-used", ["remaining"] = (await users.CountRecoveryCodesAsync(user)).ToString(System.Globalization.CultureInfo.InvariantCulture) }), ct);
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Login, "Session", null, user.Id, user.Role, user.Id,
            Details: new Dictionary<string, string> { ["secondFactor"] = isTotp ? "totp" : "recovery-code" }), ct);
        return TypedResults.Ok(await tokens.IssueAsync(user, null, mfa: true, ct));
    }

    private static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> RefreshAsync(
        RefreshRequest request,
        UserManager<AppUser> users,
        TokenService tokens,
        IAuditTrail audit,
        CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.RefreshToken) || request.RefreshToken.Length > 512)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["refreshToken"] = ["Informe o refresh token."] });
        }

        var (outcome, userId, familyId, mfa, successor) = await tokens.ConsumeAsync(request.RefreshToken, ct);
        if (outcome == RefreshOutcome.Reused)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Security, "RefreshToken", familyId.ToString(), userId, null, userId, AuditOutcomes.Denied,
                Details: new Dictionary<string, string> { ["reason"] = "refresh-token-reuse" }), ct);
        }

        var user = outcome == RefreshOutcome.Rotated ? await users.FindByIdAsync(userId.ToString()) : null;
        if (user is null || user.Status is AccountStatus.Locked or AccountStatus.Erased)
        {
            return Problems.Unauthorized("Sessão expirada. Entre novamente.");
        }

        return TypedResults.Ok(tokens.Issue(user, familyId, successor!, mfa));
    }

    private static async Task<Results<NoContent, ValidationProblem>> LogoutAsync(
        RefreshRequest? request, ClaimsPrincipal principal, TokenService tokens, IAuditTrail audit, CancellationToken ct)
    {
        // The session to end is the refresh token's: without one nothing would be revoked, and a 204 said otherwise.
        if (request?.RefreshToken is not { Length: > 0 and <= 512 } token)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["refreshToken"] = ["Informe o refreshToken da sessão a encerrar."] });
        }

        // An unknown or already revoked token is a 204 as well: logging out twice is not an error.
        var userId = await tokens.RevokeAsync(token, "logout", ct);
        if (userId is not null)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Logout, "Session", null, userId, principal.FindRole(), userId), ct);
        }

        return TypedResults.NoContent();
    }
}
