using System.Globalization;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Telemedicina.Identity.Infrastructure;

namespace Telemedicina.Identity.Application;

/// <summary>
/// Signs the platform's JWTs (ES256 with the current shared key): access tokens and hub tickets differ only in their
/// audience, lifetime and extra claims. Every token names its user, role, name and session, and carries a fresh id and
/// the time revocations are checked against, in milliseconds (<see cref="TokenService.IssuedAtMillisecondsClaim"/>): its
/// issue time, or for a token derived from another (a hub ticket) that one's (<see cref="AccessTokenSubject.CredentialIssuedAt"/>).
/// </summary>
internal sealed class TokenSigner(SigningKeyStore keys, IOptions<IdentitySettings> settings)
{
    private readonly JsonWebTokenHandler _handler = new();

    public string Sign(string audience, DateTimeOffset now, DateTimeOffset expires, AccessTokenSubject subject, params Claim[] extra)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = settings.Value.Issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(keys.CurrentSigningKey, SecurityAlgorithms.EcdsaSha256),
            Subject = new ClaimsIdentity(
            [
                new Claim(JwtRegisteredClaimNames.Sub, subject.UserId.ToString()),
                new Claim(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")),
                new Claim("role", subject.Role),
                new Claim("name", subject.Name),
                .. extra,
                new Claim(TokenService.SessionClaim, subject.Session),
                new Claim(TokenService.IssuedAtMillisecondsClaim, (subject.CredentialIssuedAt ?? now).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
            ]),
        };
        return _handler.CreateToken(descriptor);
    }
}

/// <summary>
/// Who a token speaks for: the user, their role and name, and the session (refresh-token family, "N" format). A token
/// derived from another credential (a hub ticket from an access token) keeps that credential's issue time in
/// <paramref name="CredentialIssuedAt"/>: a silo that had not yet heard of a lock issued tickets that counted as newer
/// than the lock, and so opened hub connections on the silos that had.
/// </summary>
internal sealed record AccessTokenSubject(Guid UserId, string Role, string Name, string Session, DateTimeOffset? CredentialIssuedAt = null);
