using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using OtpNet;
using Telemedicina.Identity.Domain;

namespace Telemedicina.Identity.Application;

/// <summary>
/// TOTP second factor on top of ASP.NET Core Identity's authenticator key and recovery codes,
/// adding what Identity lacks: a code is accepted at most once (the matched time step is stored
/// and must increase, atomically across silos).
/// </summary>
internal sealed class TwoFactor(UserManager<AppUser> users, NpgsqlDataSource db, IDataProtectionProvider dataProtection, IOptions<IdentitySettings> settings)
{
    private readonly ITimeLimitedDataProtector _challenges =
        dataProtection.CreateProtector("Telemedicina.Identity.TwoFactorChallenge.v1").ToTimeLimitedDataProtector();

    public string CreateChallenge(AppUser user) =>
        _challenges.Protect($"{user.Id:N}:{user.SecurityStamp}", settings.Value.TwoFactorChallengeLifetime);

    /// <summary>The user of a valid, unexpired challenge whose security stamp has not changed since.</summary>
    public async Task<AppUser?> ReadChallengeAsync(string challengeToken)
    {
        string payload;
        try
        {
            payload = _challenges.Unprotect(challengeToken);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }

        var parts = payload.Split(':', 2);
        if (parts.Length != 2 || !Guid.TryParseExact(parts[0], "N", out var userId))
        {
            return null;
        }

        var user = await users.FindByIdAsync(userId.ToString());
        return user is not null && string.Equals(user.SecurityStamp, parts[1], StringComparison.Ordinal) ? user : null;
    }

    /// <summary>Checks a 6-digit TOTP code (±1 step) and consumes its time step. False when wrong or replayed.</summary>
    public async Task<bool> VerifyTotpAsync(AppUser user, string code, CancellationToken cancellationToken)
    {
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key) || code.Length != 6 || !code.All(char.IsAsciiDigit))
        {
            return false;
        }

        var totp = new Totp(Base32Encoding.ToBytes(key));
        if (!totp.VerifyTotp(code, out var step, new VerificationWindow(previous: 1, future: 1)))
        {
            return false;
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var consumed = await connection.ExecuteAsync(
            "UPDATE identity.users SET totp_last_step = @step WHERE id = @id AND totp_last_step < @step",
            new { id = user.Id, step });
        return consumed == 1;
    }

    /// <summary>Forgets the last accepted step (a new authenticator key starts a new sequence).</summary>
    public async Task ResetReplayGuardAsync(AppUser user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE identity.users SET totp_last_step = 0 WHERE id = @id", new { id = user.Id });
    }

    /// <summary>Redeems a single-use recovery code through Identity.</summary>
    public async Task<bool> RedeemRecoveryCodeAsync(AppUser user, string code)
    {
        var normalized = code.Replace(" ", "", StringComparison.Ordinal).Trim();
        return normalized.Length is > 0 and <= 64 && (await users.RedeemTwoFactorRecoveryCodeAsync(user, normalized)).Succeeded;
    }
}
