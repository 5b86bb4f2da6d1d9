namespace Telemedicina.Identity.Contracts;

/// <summary>
/// Accounts whose sessions were ended (locked by an admin, erased, their password reset, their second factor reset):
/// access tokens issued before that stop working on every silo within seconds, not when they expire. Other modules
/// close what outlives a request, such as hub connections.
/// </summary>
public interface IAccessRevocations
{
    /// <summary>Whether a token of <paramref name="userId"/> issued at <paramref name="issuedAt"/> was revoked since.</summary>
    bool IsRevoked(Guid userId, DateTimeOffset issuedAt);

    /// <summary>Whether the session <paramref name="sessionId"/> (<see cref="AccessTokenClaims.Session"/>) was ended.</summary>
    bool IsSessionRevoked(Guid sessionId);

    /// <summary>Raised with the accounts whose sessions were ended since the last time (on this silo or another).</summary>
    event Action<IReadOnlyCollection<Guid>>? Revoked;

    /// <summary>
    /// Raised with single sessions ended since the last time (a logout, a stolen refresh token), on this silo or another;
    /// the account's other sessions go on. A session is the <see cref="AccessTokenClaims.Session"/> claim's value.
    /// </summary>
    event Action<IReadOnlyCollection<Guid>>? SessionsRevoked;
}

/// <summary>
/// When the token that opened a hub connection was issued. Authentication sets it on hub requests, whose principal is
/// kept lean for the connection's lifetime (no issue time), so that the hub can tell whether the session ended while the
/// connection was being set up.
/// </summary>
public sealed record AccessTokenIssued(DateTimeOffset At);

/// <summary>Claims of an access token that other modules read.</summary>
public static class AccessTokenClaims
{
    /// <summary>The session (refresh-token family) the token belongs to, a GUID in the "N" format.</summary>
    public const string Session = "sid";

    /// <summary>The session of a validated principal, when its token names one.</summary>
    public static Guid? FindSession(System.Security.Claims.ClaimsPrincipal? principal) =>
        principal?.FindFirst(Session)?.Value is { } value && Guid.TryParseExact(value, "N", out var session) ? session : null;
}
