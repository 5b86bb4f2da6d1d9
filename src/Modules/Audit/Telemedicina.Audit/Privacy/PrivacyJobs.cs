using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;

namespace Telemedicina.Audit.Privacy;

/// <summary>
/// One run of the privacy jobs: builds exports left waiting, applies the export retention (files
/// deleted, each deletion audited) and writes a signed audit checkpoint when due. Medical and
/// appointment records and the audit trail are never deleted automatically (their legal minimums
/// are 20 and 5 years; the settings refuse less).
/// </summary>
internal sealed class PrivacyJobs(DataExports exports, AuditCheckpoints checkpoints, IOptions<AuditSettings> settings) : IPrivacyJobs
{
    public TimeSpan Interval => settings.Value.JobsInterval;

    public async Task RunDueAsync(CancellationToken cancellationToken)
    {
        await exports.BuildStaleAsync(cancellationToken);
        await exports.ExpireAsync(null, cancellationToken);
        await checkpoints.WriteAsync(force: false, cancellationToken);
    }
}
