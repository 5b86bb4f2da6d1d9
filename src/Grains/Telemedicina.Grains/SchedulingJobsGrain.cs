using Microsoft.Extensions.Logging;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Grains;

/// <inheritdoc cref="ISchedulingJobsGrain"/>
internal sealed partial class SchedulingJobsGrain(ISchedulingJobs jobs, ILogger<SchedulingJobsGrain> logger) : Grain, ISchedulingJobsGrain, IRemindable
{
    private const string ReminderName = "scheduling-jobs";

    // Register-or-update is idempotent and applies a changed interval after a deployment.
    public Task EnsureScheduled() => this.RegisterOrUpdateReminder(ReminderName, jobs.Interval, jobs.Interval);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        try
        {
            await jobs.RunDueAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next tick retries; every effect is idempotent.
            LogRunFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduling jobs run failed; retrying on the next tick")]
    private static partial void LogRunFailed(ILogger logger, Exception exception);
}
