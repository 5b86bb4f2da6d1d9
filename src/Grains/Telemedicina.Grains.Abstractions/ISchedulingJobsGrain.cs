namespace Telemedicina.Grains.Abstractions;

/// <summary>
/// The cluster-wide driver of the scheduling jobs (key 0): one durable Orleans reminder, so the
/// jobs run on one silo at a time and keep running after that silo dies (the reminder service
/// reassigns it). The jobs themselves are idempotent in the database.
/// </summary>
[Alias("Telemedicina.ISchedulingJobsGrain")]
public interface ISchedulingJobsGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the reminder if needed (every silo calls this at start; idempotent).</summary>
    [Alias("EnsureScheduled")]
    Task EnsureScheduled();
}
