using System.Globalization;
using System.Text;

namespace Telemedicina.Bench.Reporting;

/// <summary>One measured point: a scenario at one load level on one system. Latencies in ms, NaN when none.</summary>
internal sealed record ResultRow
{
    public required string Scenario { get; init; }

    public required string System { get; init; }

    /// <summary>Rooms (S1), calls (S3) or samples (cost probe) at this point.</summary>
    public int Load { get; init; }

    /// <summary>Messages or calls per second offered (per party for S1, total for S3).</summary>
    public double Rate { get; init; }

    public string PayloadBytes { get; init; } = "";

    public double WarmupSeconds { get; init; }

    public double MeasureSeconds { get; init; }

    public long Sent { get; init; }

    public long Delivered { get; init; }

    public long OutOfOrder { get; init; }

    public long Errors { get; init; }

    public double P50 { get; init; } = double.NaN;

    public double P99 { get; init; } = double.NaN;

    public double P999 { get; init; } = double.NaN;

    public double Max { get; init; } = double.NaN;

    /// <summary>Sender-side completion of the hub invocation (the server's await, e.g. our room grain call).</summary>
    public double AckP50 { get; init; } = double.NaN;

    public double AckP99 { get; init; } = double.NaN;

    /// <summary>CPU seconds of the servers under test during the window (silos; nodes + redis-server).</summary>
    public double ServerCpuSeconds { get; init; } = double.NaN;

    /// <summary>Share of the machine's CPU that was busy during the window (all processes, other users too).</summary>
    public double MachineBusyPercent { get; init; } = double.NaN;

    /// <summary>CPU seconds of the load generator itself during the window.</summary>
    public double GeneratorCpuSeconds { get; init; } = double.NaN;

    /// <summary>p99 of how late the generator fired sends against their schedule (coordinated-omission check).</summary>
    public double SendLagP99 { get; init; } = double.NaN;

    /// <summary>1-minute load average of the machine at the end of the window (2 cores: above 2 means queued threads).</summary>
    public double LoadAverage { get; init; } = double.NaN;

    /// <summary>S4: bookings refused with 409 (slot taken meanwhile, or the patient already busy then).</summary>
    public long Conflicts { get; init; }

    /// <summary>S4: overlapping live appointments of one doctor found in the database afterwards (must be 0); −1 when not checked.</summary>
    public long DoubleBookings { get; init; } = -1;

    /// <summary>S5: acknowledged signals sent after the kill that never arrived.</summary>
    public long LostAfterKill { get; init; } = -1;

    /// <summary>S5: acknowledged signals sent after the room's party had resumed that never arrived (must be 0 for ours).</summary>
    public long LostAfterResume { get; init; } = -1;

    /// <summary>S2: growth of the server's resident memory since before the ramp, per connection open, in KiB.</summary>
    public double RssKbPerConnection { get; init; } = double.NaN;

    /// <summary>S2: open file descriptors of the server process after the step.</summary>
    public long ServerFds { get; init; } = -1;

    public string Note { get; init; } = "";

    public double DeliveredRatio => Sent == 0 ? double.NaN : (double)Delivered / Sent;

    public double Throughput => MeasureSeconds <= 0 ? double.NaN : Delivered / MeasureSeconds;

    /// <summary>Server CPU milliseconds spent per 1,000 delivered messages.</summary>
    public double CpuMsPer1kMessages => Delivered == 0 || double.IsNaN(ServerCpuSeconds) ? double.NaN : ServerCpuSeconds * 1000.0 / (Delivered / 1000.0);

    public static readonly string[] CsvColumns =
    [
        "scenario", "system", "load", "rate", "payload_bytes", "warmup_s", "measure_s", "sent", "delivered", "delivered_ratio",
        "out_of_order", "errors", "throughput_per_s", "p50_ms", "p99_ms", "p999_ms", "max_ms", "ack_p50_ms", "ack_p99_ms",
        "server_cpu_s", "cpu_ms_per_1k_msg", "generator_cpu_s", "machine_busy_pct", "send_lag_p99_ms", "load_avg_1m",
        "conflicts", "double_bookings", "lost_after_kill", "lost_after_resume", "rss_kb_per_connection", "server_fds", "note",
    ];

    public string ToCsv() => string.Join(',',
        Csv(Scenario), Csv(System), Num(Load), Num(Rate), Csv(PayloadBytes), Num(WarmupSeconds), Num(MeasureSeconds), Num(Sent), Num(Delivered),
        Num(DeliveredRatio, "0.######"), Num(OutOfOrder), Num(Errors), Num(Throughput, "0.#"), Num(P50), Num(P99), Num(P999), Num(Max),
        Num(AckP50), Num(AckP99), Num(ServerCpuSeconds), Num(CpuMsPer1kMessages), Num(GeneratorCpuSeconds), Num(MachineBusyPercent, "0.#"),
        Num(SendLagP99), Num(LoadAverage, "0.##"), Num(Conflicts), Opt(DoubleBookings), Opt(LostAfterKill), Opt(LostAfterResume),
        Num(RssKbPerConnection, "0.#"), Opt(ServerFds), Csv(Note));

    public static string CsvHeader => string.Join(',', CsvColumns);

    private static string Num(double value, string format = "0.###") =>
        double.IsNaN(value) || double.IsInfinity(value) ? "" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Opt(long value) => value < 0 ? "" : Num(value);

    internal static string Csv(string value)
    {
        if (value.IndexOfAny([',', '"', '\n', '\r']) < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            builder.Append(c == '"' ? "\"\"" : c.ToString());
        }

        return builder.Append('"').ToString();
    }
}
