namespace Telemedicina.Grains.Abstractions;

/// <summary>
/// The cluster-wide driver of the privacy jobs (key 0): exports left waiting, export retention and
/// audit checkpoints, from one durable Orleans reminder (one silo at a time; reassigned when that
/// silo dies). Every job is idempotent in the database.
/// </summary>
[Alias("Telemedicina.IPrivacyJobsGrain")]
public interface IPrivacyJobsGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the reminder if needed (every silo calls this at start; idempotent).</summary>
    [Alias("EnsureScheduled")]
    Task EnsureScheduled();
}
