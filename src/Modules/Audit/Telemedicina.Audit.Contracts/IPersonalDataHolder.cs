namespace Telemedicina.Audit.Contracts;

/// <summary>Personal data an erasure keeps, and the legal reason (answered to the data subject).</summary>
public sealed record RetainedData(string Data, string Reason, string Retention);

/// <summary>What one module did for an erasure request.</summary>
public sealed record ErasureOutcome(string Category, IReadOnlyList<string> Anonymized, IReadOnlyList<RetainedData> Retained);

/// <summary>
/// Implemented by every module that holds personal data; the Audit module's data-subject rights
/// (LGPD art. 18: portability export, erasure) run all of them. <see cref="ExportAsync"/> returns
/// everything the module holds about the user and nothing about anyone else (other people appear
/// only as ids or as the professional's name on the user's own records). <see cref="EraseAsync"/>
/// anonymizes what the law does not require to keep and reports what it kept and why; it must be
/// idempotent (a retried erasure changes nothing more).
/// </summary>
public interface IPersonalDataHolder
{
    /// <summary>Section name in the export bundle (e.g. <c>profile</c>, <c>appointments</c>).</summary>
    string Category { get; }

    /// <summary>Erasures run in ascending order; Identity runs last because the others may need the account.</summary>
    int ErasureOrder { get; }

    /// <summary>A JSON-serializable object, or null when the module holds nothing about the user.</summary>
    Task<object?> ExportAsync(Guid userId, CancellationToken cancellationToken);

    Task<ErasureOutcome> EraseAsync(Guid userId, CancellationToken cancellationToken);
}

/// <summary>
/// Data a module keeps only for a while and then deletes (LGPD art. 15 and 16: processing ends when its purpose is
/// met), run by the privacy jobs on every tick. <see cref="ApplyAsync"/> deletes at most one batch of what is past its
/// time and returns how many rows it deleted; it must be idempotent and safe to run on two silos at once.
/// </summary>
public interface IRetentionTask
{
    /// <summary>What is deleted, for the log (e.g. <c>expired refresh tokens</c>).</summary>
    string What { get; }

    Task<int> ApplyAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>The Audit module's periodic privacy work (exports, expiry, audit checkpoints), run from one durable Orleans reminder.</summary>
public interface IPrivacyJobs
{
    TimeSpan Interval { get; }

    Task RunDueAsync(CancellationToken cancellationToken);
}
