namespace Telemedicina.Audit.Contracts;

/// <summary>Audit actions, after FHIR AuditEvent's action codes plus security events.</summary>
public static class AuditActions
{
    public const string Create = "create";
    public const string Read = "read";
    public const string Update = "update";
    public const string Delete = "delete";
    public const string Execute = "execute";
    public const string Login = "login";
    public const string Logout = "logout";
    public const string Security = "security";

    /// <summary>Every action the trail records: what an audit search may filter on.</summary>
    public static readonly IReadOnlyList<string> All = [Create, Read, Update, Delete, Execute, Login, Logout, Security];
}

/// <summary>Outcome of the audited action.</summary>
public static class AuditOutcomes
{
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Denied = "denied";
}

/// <summary>
/// One auditable event: who did what to which resource of whose data, why, with what outcome.
/// Where (IP, silo) and when are filled in by the Audit module.
/// </summary>
public sealed record AuditEvent(
    string Action,
    string ResourceType,
    string? ResourceId,
    Guid? ActorId,
    string? ActorRole,
    Guid? SubjectId,
    string Outcome = AuditOutcomes.Success,
    string? Purpose = null,
    IReadOnlyDictionary<string, string>? Details = null);

/// <summary>
/// The Audit module's public contract: every module records access to personal data and security
/// events here. Recording is durable before the call returns (the trail is append-only).
/// </summary>
public interface IAuditTrail
{
    Task RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken);
}
