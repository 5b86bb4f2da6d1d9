using System.Security.Claims;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Telemedicina.Identity.Contracts;
using Telemedicina.Identity.Domain;

namespace Telemedicina.Identity.Application;

/// <summary>The answer to a successful login or refresh.</summary>
internal sealed record LoginResponse(string AccessToken, DateTimeOffset ExpiresAt, string RefreshToken, LoginUser User);

internal sealed record LoginUser(Guid Id, string Role, string FullName);

/// <summary>Outcome of presenting a refresh token.</summary>
internal enum RefreshOutcome
{
    Rotated,
    Invalid,
    Reused,
}

/// <summary>
/// Issues short-lived JWT access tokens (ES256, shared keys) and rotating refresh tokens. A refresh
/// token is single-use: presenting a used one revokes its whole family (stolen-token detection).
/// </summary>
internal sealed class TokenService(TokenSigner signer, NpgsqlDataSource db, IOptions<IdentitySettings> settings, TimeProvider clock, AccessRevocations revocations)
{
    /// <summary>Claim naming how the session authenticated: <c>mfa</c> (password + second factor) or <c>pwd</c>.</summary>
    public const string AuthenticationMethodClaim = "amr";

    /// <summary>
    /// The issue time in milliseconds (iat has whole seconds): a session ended in the same second as a login, a
    /// password change answering its new session, tells the tokens before it from those after (<see cref="AccessRevocations"/>).
    /// </summary>
    public const string IssuedAtMillisecondsClaim = "iat_ms";

    /// <summary>
    /// The session (refresh-token family) an access token belongs to: a logout, or a stolen refresh token presented
    /// again, ends that session's access tokens too (<see cref="AccessRevocations"/>), not only its refresh tokens.
    /// </summary>
    public const string SessionClaim = AccessTokenClaims.Session;

    public async Task<LoginResponse> IssueAsync(AppUser user, Guid? familyId, bool mfa, CancellationToken cancellationToken)
    {
        var family = familyId ?? Guid.NewGuid();
        var refreshToken = await CreateRefreshTokenAsync(user.Id, family, mfa, cancellationToken);
        return Issue(user, family, refreshToken, mfa);
    }

    /// <summary>An access token for the user's session, answered together with an already stored refresh token of it.</summary>
    public LoginResponse Issue(AppUser user, Guid familyId, string refreshToken, bool mfa)
    {
        var now = clock.GetUtcNow();
        var expires = now + settings.Value.AccessTokenLifetime;
        var accessToken = signer.Sign(settings.Value.Audience, now, expires, new AccessTokenSubject(user.Id, user.Role, user.FullName, familyId.ToString("N")),
            new Claim(AuthenticationMethodClaim, mfa ? "mfa" : "pwd"));
        return new LoginResponse(accessToken, expires, refreshToken, new LoginUser(user.Id, user.Role, user.FullName));
    }

    /// <summary>
    /// Consumes a refresh token. On <see cref="RefreshOutcome.Rotated"/> returns its user and family
    /// and the successor token, already stored in that family.
    /// </summary>
    public async Task<(RefreshOutcome Outcome, Guid UserId, Guid FamilyId, bool Mfa, string? Successor)> ConsumeAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var hash = Hash(refreshToken);
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // The successor is written in the transaction that marks this token used. A concurrent
            // presentation of the same token waits on this row, finds it used, and then revokes the
            // family with the successor in it; stored later, the successor would outlive that revocation.
            var consumed = await connection.QuerySingleOrDefaultAsync<TokenRow>(
                """
                UPDATE identity.refresh_tokens SET used_at = @now
                WHERE token_hash = @hash AND used_at IS NULL AND revoked_at IS NULL AND expires_at > @now
                RETURNING user_id, family_id, mfa
                """,
                new { hash, now },
                transaction);
            if (consumed is not null)
            {
                var successor = await InsertRefreshTokenAsync(connection, transaction, consumed.UserId, consumed.FamilyId, consumed.Mfa);
                await transaction.CommitAsync(cancellationToken);
                return (RefreshOutcome.Rotated, consumed.UserId, consumed.FamilyId, consumed.Mfa, successor);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        var known = await connection.QuerySingleOrDefaultAsync<TokenRow>(
            "SELECT user_id, family_id, used_at FROM identity.refresh_tokens WHERE token_hash = @hash", new { hash });
        if (known is { UsedAt: not null } reused)
        {
            await RevokeFamilyAsync(connection, reused.FamilyId, "reuse", now);
            await revocations.RevokeSessionAsync(reused.FamilyId, connection);
            return (RefreshOutcome.Reused, reused.UserId, reused.FamilyId, false, null);
        }

        return (RefreshOutcome.Invalid, Guid.Empty, Guid.Empty, false, null);
    }

    /// <summary>Revokes the family of the given token (logout). Returns the user id when the token was known.</summary>
    public async Task<Guid?> RevokeAsync(string refreshToken, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var token = await connection.QuerySingleOrDefaultAsync<TokenRow>(
            "SELECT user_id, family_id FROM identity.refresh_tokens WHERE token_hash = @hash", new { hash = Hash(refreshToken) });
        if (token is null)
        {
            return null;
        }

        await RevokeFamilyAsync(connection, token.FamilyId, reason, clock.GetUtcNow());
        await revocations.RevokeSessionAsync(token.FamilyId, connection);
        return token.UserId;
    }

    /// <summary>Ends every session of the account: its refresh tokens, and its access tokens on every silo (<see cref="AccessRevocations"/>).</summary>
    public async Task RevokeAllAsync(Guid userId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE identity.refresh_tokens SET revoked_at = @now, revoked_reason = @reason WHERE user_id = @userId AND revoked_at IS NULL",
            new { userId, reason, now = clock.GetUtcNow() });
        await revocations.RevokeAsync(userId, connection);
    }

    private static Task<int> RevokeFamilyAsync(NpgsqlConnection connection, Guid familyId, string reason, DateTimeOffset now) =>
        connection.ExecuteAsync(
            "UPDATE identity.refresh_tokens SET revoked_at = @now, revoked_reason = @reason WHERE family_id = @familyId AND revoked_at IS NULL",
            new { familyId, reason, now });

    private async Task<string> CreateRefreshTokenAsync(Guid userId, Guid familyId, bool mfa, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await InsertRefreshTokenAsync(connection, null, userId, familyId, mfa);
    }

    private async Task<string> InsertRefreshTokenAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, Guid familyId, bool mfa)
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(
            """
            INSERT INTO identity.refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, mfa)
            VALUES (@id, @userId, @familyId, @hash, @now, @expires, @mfa)
            """,
            new { id = Guid.NewGuid(), userId, familyId, hash = Hash(token), now, expires = now + settings.Value.RefreshTokenLifetime, mfa },
            transaction);
        return token;
    }

    private static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    private sealed class TokenRow
    {
        public Guid UserId { get; init; }

        public Guid FamilyId { get; init; }

        public DateTimeOffset? UsedAt { get; init; }

        public bool Mfa { get; init; }
    }
}
