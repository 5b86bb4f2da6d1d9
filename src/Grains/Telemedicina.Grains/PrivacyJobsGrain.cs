using Microsoft.Extensions.Logging;
using Telemedicina.Audit.Contracts;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <inheritdoc cref="IPrivacyJobsGrain"/>
internal sealed class PrivacyJobsGrain(IPrivacyJobs jobs, ILogger<PrivacyJobsGrain> logger)
    : PeriodicJobsGrain("privacy-jobs", jobs.Interval, jobs.RunDueAsync, logger), IPrivacyJobsGrain;
