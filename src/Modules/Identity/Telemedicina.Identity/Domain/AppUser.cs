using Microsoft.AspNetCore.Identity;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Identity.Domain;

/// <summary>An account. One role per account; doctors carry a <see cref="DoctorProfile"/>.</summary>
internal sealed class AppUser : IdentityUser<Guid>
{
    public string FullName { get; set; } = "";

    public string Role { get; set; } = Roles.Patient;

    public AccountStatus Status { get; set; }

    public string? TimeZone { get; set; }

    /// <summary>Phone number, encrypted with the personal-data protector.</summary>
    public string? PhoneProtected { get; set; }

    /// <summary>Birth date (ISO yyyy-MM-dd), encrypted with the personal-data protector.</summary>
    public string? BirthDateProtected { get; set; }

    /// <summary>CPF (11 digits), encrypted with the personal-data protector.</summary>
    public string? CpfProtected { get; set; }

    /// <summary>Keyed hash (HMAC-SHA256) of the CPF, unique: finds duplicates without decrypting.</summary>
    public byte[]? CpfHash { get; set; }

    /// <summary>Last TOTP time step accepted: a code is accepted at most once.</summary>
    public long TotpLastStep { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DoctorProfile? DoctorProfile { get; set; }
}

/// <summary>A doctor's professional registration (CRM) and specialty.</summary>
internal sealed class DoctorProfile
{
    public Guid UserId { get; set; }

    public string Crm { get; set; } = "";

    public string CrmState { get; set; } = "";

    public string Specialty { get; set; } = "";

    public DateTimeOffset? VerifiedAt { get; set; }

    public Guid? VerifiedBy { get; set; }
}

internal sealed class AppRole : IdentityRole<Guid>
{
}

/// <summary>One refresh token (only its hash is stored). Tokens of one login form a family.</summary>
internal sealed class RefreshToken
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public Guid FamilyId { get; set; }

    public byte[] TokenHash { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedReason { get; set; }

    /// <summary>The login that started this family used a second factor.</summary>
    public bool Mfa { get; set; }
}

/// <summary>A JWT signing key shared by every silo. The private key is stored protected by Data Protection.</summary>
internal sealed class SigningKey
{
    public string Id { get; set; } = "";

    /// <summary>Rotation period number; unique, so two silos never create two keys for one period.</summary>
    public long Generation { get; set; }

    public string Algorithm { get; set; } = "";

    public string ProtectedPrivateKey { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ActivatesAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}
