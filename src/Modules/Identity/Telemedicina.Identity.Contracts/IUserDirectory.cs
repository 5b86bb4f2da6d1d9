namespace Telemedicina.Identity.Contracts;

/// <summary>Account status as other modules see it.</summary>
public enum AccountStatus
{
    Active = 0,
    PendingVerification = 1,
    Locked = 2,
    Erased = 3,
}

/// <summary>What other modules may know about an account (no credentials, no sensitive fields).</summary>
public sealed record UserSummary(
    Guid UserId,
    string FullName,
    string Role,
    AccountStatus Status,
    bool EmailConfirmed,
    string? TimeZone);

/// <summary>A doctor's public profile. Bookable only when <see cref="Bookable"/>.</summary>
public sealed record DoctorSummary(
    Guid DoctorId,
    string FullName,
    string Specialty,
    string TimeZone,
    AccountStatus Status,
    bool EmailConfirmed)
{
    public bool Bookable => Status == AccountStatus.Active && EmailConfirmed;
}

/// <summary>Where to reach a person (for notifications only; reading it is itself personal-data access).</summary>
public sealed record UserContact(Guid UserId, string Email, string FullName, string? TimeZone);

/// <summary>
/// The Identity module's read facade for other modules. Answers from Identity's own schema; never
/// exposes password hashes, tokens or encrypted personal fields.
/// </summary>
public interface IUserDirectory
{
    Task<UserSummary?> FindUserAsync(Guid userId, CancellationToken cancellationToken);

    Task<DoctorSummary?> FindDoctorAsync(Guid doctorId, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="FindUserAsync"/> and <see cref="FindDoctorAsync"/> in one read (one database round trip): what a
    /// booking needs of both sides.
    /// </summary>
    Task<(UserSummary? User, DoctorSummary? Doctor)> FindUserAndDoctorAsync(Guid userId, Guid doctorId, CancellationToken cancellationToken);

    /// <summary>Verified, active, email-confirmed doctors matching the optional filters.</summary>
    Task<IReadOnlyList<DoctorSummary>> SearchBookableDoctorsAsync(string? specialty, string? query, CancellationToken cancellationToken);

    /// <summary>E-mail and name for sending a notification; null for unknown or erased accounts.</summary>
    Task<UserContact?> FindContactAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Full names of the given users (missing ids are left out).</summary>
    Task<IReadOnlyDictionary<Guid, string>> GetNamesAsync(IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken);

    /// <summary>
    /// Re-authentication before a destructive self-service action (erasure): true when the password
    /// is the account's. A wrong password counts towards the account lockout like a failed login.
    /// </summary>
    Task<bool> CheckPasswordAsync(Guid userId, string password, CancellationToken cancellationToken);
}
