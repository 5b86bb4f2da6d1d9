using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;

namespace Telemedicina.Audit.Privacy;

/// <summary>
/// One run of the privacy jobs: builds exports left waiting, applies the export retention (files
/// deleted, each deletion audited), the modules' retention tasks (<see cref="IRetentionTask"/>: data
/// kept only for a while, such as expired refresh tokens) and writes a signed audit checkpoint when due.
/// Medical and appointment records and the audit trail are never deleted automatically (their legal
/// minimums are 20 and 5 years; the settings refuse less).
/// </summary>
internal sealed partial class PrivacyJobs(
    DataExports exports, AuditCheckpoints checkpoints, IEnumerable<IRetentionTask> retention, IOptions<AuditSettings> settings, TimeProvider clock,
    ILogger<PrivacyJobs> logger) : IPrivacyJobs
{
    public TimeSpan Interval => settings.Value.JobsInterval;

    public async Task RunDueAsync(CancellationToken cancellationToken)
    {
        await exports.BuildStaleAsync(cancellationToken);
        await exports.ExpireAsync(null, cancellationToken);
        foreach (var task in retention)
        {
            var deleted = await task.ApplyAsync(clock.GetUtcNow(), cancellationToken);
            if (deleted > 0)
            {
                LogRetention(logger, deleted, task.What);
            }
        }

        await checkpoints.WriteAsync(force: false, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: deleted {Count} {What}")]
    private static partial void LogRetention(ILogger logger, int count, string what);
}
