using Microsoft.Extensions.Logging;
using Telemedicina.Audit.Contracts;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <inheritdoc cref="IPrivacyJobsGrain"/>
internal sealed partial class PrivacyJobsGrain(IPrivacyJobs jobs, ILogger<PrivacyJobsGrain> logger) : Grain, IPrivacyJobsGrain, IRemindable
{
    private const string ReminderName = "privacy-jobs";

    public Task EnsureScheduled() => this.RegisterOrUpdateReminder(ReminderName, jobs.Interval, jobs.Interval);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        try
        {
            await jobs.RunDueAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogRunFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Privacy jobs run failed; retrying on the next tick")]
    private static partial void LogRunFailed(ILogger logger, Exception exception);
}
