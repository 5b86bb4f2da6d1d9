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
internal sealed class TwoFactor(
    UserManager<AppUser> users, NpgsqlDataSource db, IDataProtectionProvider dataProtection, IOptions<IdentitySettings> settings, TimeProvider clock)
{
    private readonly ITimeLimitedDataProtector _challenges =
        dataProtection.CreateProtector("Telemedicina.Identity.TwoFactorChallenge.v2").ToTimeLimitedDataProtector();

    /// <summary>A challenge for the second step of a login: the user, when it was issued (whole microseconds, as the database keeps time) and the security stamp.</summary>
    public string CreateChallenge(AppUser user)
    {
        var issued = clock.GetUtcNow().UtcTicks / 10 * 10;
        return _challenges.Protect($"{user.Id:N}:{issued}:{user.SecurityStamp}", settings.Value.TwoFactorChallengeLifetime);
    }

    /// <summary>
    /// Spends a challenge whose code was right: false when the account passed its second factor since the challenge was
    /// issued, with this challenge or a newer one (a challenge token used twice, or by two requests at once).
    /// </summary>
    public async Task<bool> SpendChallengeAsync(TwoFactorChallenge challenge, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(
            """
            UPDATE identity.users SET two_factor_passed_at = greatest(@now, @issuedAt)
            WHERE id = @id AND (two_factor_passed_at IS NULL OR two_factor_passed_at < @issuedAt)
            """,
            new { id = challenge.User.Id, now = clock.GetUtcNow(), issuedAt = challenge.IssuedAt }) == 1;
    }

    /// <summary>Whether the account passed its second factor since the challenge was issued (checked before a code is consumed for nothing).</summary>
    public async Task<bool> IsSpentAsync(TwoFactorChallenge challenge, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(
            "SELECT coalesce(two_factor_passed_at >= @issuedAt, false) FROM identity.users WHERE id = @id",
            new { id = challenge.User.Id, issuedAt = challenge.IssuedAt });
    }

    /// <summary>The user of a valid, unexpired challenge whose security stamp has not changed since, and when it was issued.</summary>
    public async Task<TwoFactorChallenge?> ReadChallengeAsync(string challengeToken)
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

        var parts = payload.Split(':', 3);
        if (parts.Length != 3 || !Guid.TryParseExact(parts[0], "N", out var userId)
            || !long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var issued))
        {
            return null;
        }

        var user = await users.FindByIdAsync(userId.ToString());
        return user is not null && string.Equals(user.SecurityStamp, parts[2], StringComparison.Ordinal)
            ? new TwoFactorChallenge(user, new DateTimeOffset(issued, TimeSpan.Zero))
            : null;
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
        // As people copy and type them: in lower case, with spaces, or without the dash ("abcde fghij", "ABCDEFGHIJ").
        var normalized = code.Replace(" ", "", StringComparison.Ordinal).Trim().ToUpperInvariant();
        if (normalized.Length == 10 && !normalized.Contains('-', StringComparison.Ordinal))
        {
            normalized = normalized[..5] + "-" + normalized[5..];
        }

        return normalized.Length is > 0 and <= 64 && (await users.RedeemTwoFactorRecoveryCodeAsync(user, normalized)).Succeeded;
    }
}

/// <summary>A login's second step: whose, and since when.</summary>
internal sealed record TwoFactorChallenge(AppUser User, DateTimeOffset IssuedAt);
