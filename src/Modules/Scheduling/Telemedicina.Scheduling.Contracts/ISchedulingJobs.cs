namespace Telemedicina.Scheduling.Contracts;

/// <summary>What one run of the scheduling jobs did.</summary>
public sealed record JobRunSummary(int NoShows, int AutoCompleted, int RemindersQueued, int NotificationsSent);

/// <summary>
/// The scheduling module's periodic work: no-shows once the join window has closed, auto-completion of
/// consultations past the maximum duration, 24 h and 1 h reminders, and the notification outbox.
/// Every effect is idempotent in the database, so running it twice (or on two silos) changes nothing more.
/// The cluster runs it from one durable Orleans reminder.
/// </summary>
public interface ISchedulingJobs
{
    TimeSpan Interval { get; }

    Task<JobRunSummary> RunDueAsync(CancellationToken cancellationToken);
}
