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

    /// <summary>Raised with the accounts whose sessions were ended since the last time (on this silo or another).</summary>
    event Action<IReadOnlyCollection<Guid>>? Revoked;
}
