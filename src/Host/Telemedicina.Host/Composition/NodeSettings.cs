namespace Telemedicina.Host.Composition;

/// <summary>Configuration section <c>Orleans</c>: this silo's place in the cluster.</summary>
public sealed class OrleansSettings
{
    public const string Section = "Orleans";

    public string ClusterId { get; set; } = "telemedicina";

    public string ServiceId { get; set; } = "telemedicina";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos reach this one at (the instance's private IP in AWS).</summary>
    public string AdvertisedIPAddress { get; set; } = "127.0.0.1";

    /// <summary>How long a probe may go unanswered; with the limit below this sets how fast a crash is detected.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Missed probes before a silo votes another dead. After the first miss the next probe goes through a third silo
    /// (Orleans' indirect probe), whose miss counts as a second vote; so with two a crashed silo is declared one probe
    /// period sooner than with Orleans' three (about a second here). A silo that is alive but slow to answer is not
    /// voted dead while any message of it arrived within <c>MaxProbeTimeout</c> × this (Orleans' connection liveness
    /// check): a loaded silo keeps sending, a crashed one has no connection left.
    /// </summary>
    public int NumMissedProbesLimit { get; set; } = 2;

    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a silo reads the membership table. A silo cut off from the others (but not from PostgreSQL) learns it
    /// was declared dead only from this read, and serves its clients and stale rooms until then: Orleans' 60 s default
    /// left a minute of split brain in the partition test. One small query per silo per period.
    /// </summary>
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Apply database migrations when the silo starts (under an advisory lock).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}
