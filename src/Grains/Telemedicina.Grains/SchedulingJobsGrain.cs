using Microsoft.Extensions.Logging;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Grains;

/// <inheritdoc cref="ISchedulingJobsGrain"/>
internal sealed class SchedulingJobsGrain(ISchedulingJobs jobs, ILogger<SchedulingJobsGrain> logger)
    : PeriodicJobsGrain("scheduling-jobs", jobs.Interval, jobs.RunDueAsync, logger), ISchedulingJobsGrain;
