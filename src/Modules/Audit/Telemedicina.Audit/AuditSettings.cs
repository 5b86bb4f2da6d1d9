namespace Telemedicina.Audit;

/// <summary>
/// The <c>Privacy</c> configuration section: retention policies (legal minimums enforced at start),
/// export limits and the audit checkpoints.
/// </summary>
internal sealed class AuditSettings
{
    public const string Section = "Privacy";

    public const int LegalMinimumAuditYears = 5;
    public const int LegalMinimumMedicalRecordYears = 20;

    /// <summary>How long a portability export stays downloadable before the file is deleted.</summary>
    public TimeSpan ExportRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Export requests a person may make per 24 h.</summary>
    public int ExportsPerDay { get; set; } = 3;

    /// <summary>How long a pre-signed download URL is valid.</summary>
    public TimeSpan DownloadUrlLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Period of the privacy jobs reminder (exports, expiry, checkpoints).</summary>
    public TimeSpan JobsInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a signed checkpoint of the audit chain is written (when there are new entries).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Base64 HMAC-SHA256 key for checkpoints (a secret in production; generated and kept in the database otherwise).</summary>
    public string? CheckpointKey { get; set; }

    /// <summary>Audit entries are kept at least this long (LGPD accountability); never less than 5 years.</summary>
    public int AuditRetentionYears { get; set; } = LegalMinimumAuditYears;

    /// <summary>Medical and appointment records: at least 20 years (Law 13.787/2018) and never deleted automatically.</summary>
    public int MedicalRecordRetentionYears { get; set; } = LegalMinimumMedicalRecordYears;

    /// <summary>Why a configuration is unlawful, or null.</summary>
    public string? Invalid() =>
        AuditRetentionYears < LegalMinimumAuditYears ? $"Privacy:AuditRetentionYears must be at least {LegalMinimumAuditYears}."
        : MedicalRecordRetentionYears < LegalMinimumMedicalRecordYears ? $"Privacy:MedicalRecordRetentionYears must be at least {LegalMinimumMedicalRecordYears} (Law 13.787/2018)."
        : ExportRetention < TimeSpan.FromHours(1) || ExportRetention > TimeSpan.FromDays(30) ? "Privacy:ExportRetention must be between 1 hour and 30 days."
        : ExportsPerDay is < 1 or > 100 ? "Privacy:ExportsPerDay must be between 1 and 100."
        : JobsInterval < TimeSpan.FromMinutes(1) ? "Privacy:JobsInterval must be at least 1 minute (Orleans reminder period)."
        : CheckpointInterval < TimeSpan.FromMinutes(1) ? "Privacy:CheckpointInterval must be at least 1 minute."
        : null;
}
