using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Host.Composition;

/// <summary>When this silo becomes active, makes sure the cluster-wide jobs reminders (scheduling, privacy) exist.</summary>
internal sealed partial class JobsStarter(IGrainFactory grains, ILogger<JobsStarter> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobsStarter), ServiceLifecycleStage.Active, OnActiveAsync);

    private async Task OnActiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            await grains.GetGrain<ISchedulingJobsGrain>(0).EnsureScheduled();
            await grains.GetGrain<IPrivacyJobsGrain>(0).EnsureScheduled();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Another silo (or this one's next start) will register it; never block startup on it.
            LogFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ensure the jobs reminders")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
