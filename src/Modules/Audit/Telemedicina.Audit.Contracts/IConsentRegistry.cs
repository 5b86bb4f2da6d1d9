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

/// <summary>
/// Told, on the silo that recorded it, that a person granted or took back a consent. A module whose ongoing processing
/// rests on a consent implements it: Calls ends the calls of a patient who takes back <see cref="ConsentTypes.Telemedicine"/>
/// (LGPD art. 8 §5: consent may be revoked at any time). The record stands whatever a handler does: a handler that
/// fails is logged, and the checks made before acting (<see cref="IConsentRegistry.HasConsentAsync"/>) still refuse.
/// </summary>
public interface IConsentChangeHandler
{
    Task OnConsentChangedAsync(Guid userId, string consentType, bool granted, CancellationToken cancellationToken);
}
