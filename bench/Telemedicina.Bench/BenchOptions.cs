using System.Globalization;

namespace Telemedicina.Bench;

/// <summary>Command line of the generator; a profile sets defaults that single options may override.</summary>
internal sealed record BenchOptions
{
    public string Profile { get; init; } = "quick";

    public IReadOnlyList<string> Systems { get; init; } = ["ours", "peer-redis", "limit"];

    public IReadOnlyList<int> RoomLevels { get; init; } = [100, 200, 400];

    public double RatePerParty { get; init; } = 5;

    public int MinPayload { get; init; } = 1024;

    public int MaxPayload { get; init; } = 4096;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Measure { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Unrecorded S1 load at the lowest level on every system once all are set up (JIT tiering, caches,
    /// connection pools): without it the first points of the product ran several times slower than later ones.
    /// </summary>
    public TimeSpan SystemWarmup { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>S1 ramp: per-party rates tried at the lowest room level until p99 reaches the limit (empty: no ramp); the knee is the last rate that passed.</summary>
    public IReadOnlyList<double> RampRates { get; init; } = [];

    public double RampP99LimitMs { get; init; } = 100;

    /// <summary>S3: call requests per second and how many of the first calls are warm-up.</summary>
    public double CallRate { get; init; } = 50;

    public int CallWarmup { get; init; } = 50;

    public int CostSamples { get; init; } = 300;

    public string MarkdownPath { get; init; } = "docs/benchmarks.md";

    public string CsvPath { get; init; } = "docs/benchmarks.csv";

    public string Commit { get; init; } = "unknown";

    public string? PeerDll { get; init; }

    public string RedisServer { get; init; } = "redis-server";

    public int Seed { get; init; } = 8;

    public static BenchOptions ForProfile(string profile) => profile switch
    {
        "smoke" => new BenchOptions
        {
            Profile = profile, RoomLevels = [10], Warmup = TimeSpan.FromSeconds(2), Measure = TimeSpan.FromSeconds(5),
            Drain = TimeSpan.FromSeconds(3), CallWarmup = 2, CostSamples = 50, SystemWarmup = TimeSpan.FromSeconds(5),
            MarkdownPath = "bench/results/smoke.md", CsvPath = "bench/results/smoke.csv",
        },
        "quick" => new BenchOptions { Profile = profile, Measure = TimeSpan.FromSeconds(15) },
        "full" => new BenchOptions
        {
            Profile = profile, Warmup = TimeSpan.FromSeconds(15), Measure = TimeSpan.FromSeconds(60), Drain = TimeSpan.FromSeconds(10), SystemWarmup = TimeSpan.FromSeconds(120),
            RampRates = [10, 15, 20, 30, 40, 60, 80], CostSamples = 2000,
        },
        _ => throw new ArgumentException($"Unknown profile '{profile}' (smoke, quick, full)."),
    };

    public static BenchOptions Parse(string[] args)
    {
        var profile = "quick";
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--profile")
            {
                profile = args[i + 1];
            }
        }

        var options = ForProfile(profile);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            string Next() => value ?? throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--profile": i++; break;
                case "--systems": options = options with { Systems = Next().Split(',') }; i++; break;
                case "--rooms": options = options with { RoomLevels = Next().Split(',').Select(Int).ToList() }; i++; break;
                case "--rate": options = options with { RatePerParty = Double(Next()) }; i++; break;
                case "--payload": options = options with { MinPayload = Int(Next().Split('-')[0]), MaxPayload = Int(Next().Split('-')[^1]) }; i++; break;
                case "--warmup": options = options with { Warmup = TimeSpan.FromSeconds(Double(Next())) }; i++; break;
                case "--system-warmup": options = options with { SystemWarmup = TimeSpan.FromSeconds(Double(Next())) }; i++; break;
                case "--duration": options = options with { Measure = TimeSpan.FromSeconds(Double(Next())) }; i++; break;
                case "--ramp": options = options with { RampRates = Next().Split(',').Select(Double).ToList() }; i++; break;
                case "--call-rate": options = options with { CallRate = Double(Next()) }; i++; break;
                case "--out": options = options with { MarkdownPath = Next() }; i++; break;
                case "--csv": options = options with { CsvPath = Next() }; i++; break;
                case "--commit": options = options with { Commit = Next() }; i++; break;
                case "--peer-dll": options = options with { PeerDll = Next() }; i++; break;
                case "--redis-server": options = options with { RedisServer = Next() }; i++; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        return options;
    }

    public IReadOnlyList<string> Describe() =>
    [
        $"S1: rooms {string.Join(" / ", RoomLevels)}, {RatePerParty.ToString(CultureInfo.InvariantCulture)} msg/s per party (open loop, random phase), payload {MinPayload}–{MaxPayload} B (uniform), kind `offer`",
        $"Before the first point: {SystemWarmup.TotalSeconds} s of unrecorded S1 load at {RoomLevels.Min()} rooms on every system",
        $"Per point: warm-up {Warmup.TotalSeconds} s (excluded), measurement {Measure.TotalSeconds} s, drain up to {Drain.TotalSeconds} s",
        RampRates.Count == 0 ? "S1 ramp: not run in this profile" : $"S1 ramp at {RoomLevels.Min()} rooms: {string.Join(", ", RampRates)} msg/s per party, stops at p99 ≥ {RampP99LimitMs} ms or < 99.9 % delivered",
        $"S3: {CallRate} calls/s, first {CallWarmup} calls excluded as warm-up",
        $"Signal cost probe: {CostSamples} sequential Ping and Signal invocations",
    ];

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static double Double(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
