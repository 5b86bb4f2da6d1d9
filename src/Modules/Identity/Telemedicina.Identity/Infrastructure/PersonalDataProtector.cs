using Microsoft.AspNetCore.DataProtection;

namespace Telemedicina.Identity.Infrastructure;

/// <summary>Encrypts sensitive personal fields at rest with the shared Data Protection key ring.</summary>
internal sealed class PersonalDataProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Telemedicina.Identity.PersonalData.v1");

    public string? Protect(string? value) => value is null ? null : _protector.Protect(value);

    public string? Unprotect(string? value) => value is null ? null : _protector.Unprotect(value);
}
