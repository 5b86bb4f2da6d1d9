using Microsoft.Extensions.Logging;

namespace Telemedicina.Grains;

/// <summary>
/// A module's periodic jobs on a durable Orleans reminder: the reminder fires on one silo of the
/// cluster at a time and survives the loss of any silo; each tick runs whatever is due.
/// </summary>
internal abstract partial class PeriodicJobsGrain(string reminderName, TimeSpan interval, Func<CancellationToken, Task> runDue, ILogger logger)
    : Grain, IRemindable
{
    // Register-or-update is idempotent and applies a changed interval after a deployment.
    public Task EnsureScheduled() => this.RegisterOrUpdateReminder(reminderName, interval, interval);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        try
        {
            await runDue(CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next tick retries; every job's effect is idempotent.
            LogRunFailed(logger, e, reminderName);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Jobs run of {Reminder} failed; retrying on the next tick")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, string reminder);
}
