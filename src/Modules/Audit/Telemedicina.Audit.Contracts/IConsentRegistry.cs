namespace Telemedicina.Audit.Contracts;

/// <summary>Consent types a person can grant or revoke.</summary>
public static class ConsentTypes
{
    public const string Telemedicine = "telemedicine";
    public const string DataProcessing = "dataProcessing";

    public static bool IsKnown(string? type) => type is Telemedicine or DataProcessing;
}

/// <summary>Enforcement side of consents: Scheduling and Calls ask before acting.</summary>
public interface IConsentRegistry
{
    /// <summary>True when the latest record of that type for the user is a grant.</summary>
    Task<bool> HasConsentAsync(Guid userId, string consentType, CancellationToken cancellationToken);

    /// <summary>Records a grant or revocation (used by the privacy API and the demo seed).</summary>
    Task RecordAsync(Guid userId, string consentType, bool granted, string? ipAddress, string? userAgent, CancellationToken cancellationToken);
}
