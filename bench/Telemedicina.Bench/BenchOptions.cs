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

    /// <summary>
    /// S1: how many times each point (rooms, system) is measured. One 15-second point on this 2-core machine can land in
    /// a slow spell (identical runs at 400 rooms gave 45 ms and 170 ms p99), so the report also gives the median of the runs.
    /// </summary>
    public int Repeat { get; init; } = 1;

    /// <summary>S3: call requests per second and how many of the first calls are warm-up.</summary>
    public double CallRate { get; init; } = 50;

    public int CallWarmup { get; init; } = 50;

    /// <summary>S3 on the warm cluster: calls requested again after S1 (pairs booked at set-up); 0 skips the batch.</summary>
    public int WarmCalls { get; init; } = 200;

    /// <summary>
    /// S3 warm batch: the pause after the last S1 point, so its calls do not queue behind S1's backlog; after it, the
    /// batch also waits (up to a minute) until the silos use under <see cref="WarmCallsQuietShare"/> of a core for 2 s.
    /// </summary>
    public TimeSpan WarmCallsSettle { get; init; } = TimeSpan.FromSeconds(5);

    public double WarmCallsQuietShare { get; init; } = 0.1;

    public int CostSamples { get; init; } = 300;

    /// <summary>Scenarios to run besides the set-up (which always measures S3 and the Signal cost): S1, S2, S4, S5.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = ["S1", "S2", "S4", "S5"];

    /// <summary>S2: connection counts to reach in steps (cut at the open-file cap), parallel connects.</summary>
    public IReadOnlyList<int> ConnectionSteps { get; init; } = [1000, 2500, 5000, 7500, 10000, 12500, 15000, 17500, 19500];

    public int ConnectionCap { get; init; } = 19_500;

    public int ConnectionParallel { get; init; } = 64;

    /// <summary>S2: how long each step's connections are held before the server's memory is read (2 s; longer to profile it).</summary>
    public TimeSpan ConnectionHold { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>S4: concurrent booking clients (half per silo), doctors whose slots they race for, duration.</summary>
    public int BookingClients { get; init; } = 64;

    public int BookingDoctors { get; init; } = 8;

    public TimeSpan BookingDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>S5: rooms under traffic when one node is killed, msg/s per party, traffic before the kill and after recovery, give-up time.</summary>
    public int FailoverRooms { get; init; } = 200;

    public double FailoverRate { get; init; } = 2;

    /// <summary>S5 on ours: kill the silo hosting the room grains ("rooms", default) or the doctors' silo ("doctors": connections only).</summary>
    public string FailoverKill { get; init; } = "rooms";

    public TimeSpan FailoverBefore { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan FailoverAfter { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan FailoverGiveUp { get; init; } = TimeSpan.FromSeconds(60);

    public bool Runs(string scenario) => Scenarios.Contains(scenario, StringComparer.OrdinalIgnoreCase);

    /// <summary>Rooms every system opens: the top S1 level, and S5's rooms when it runs.</summary>
    /// <summary>
    /// Rooms opened at set-up. S3 measures their opening, so S3 without S1 or S5 opens 200 past its warm-up (it
    /// opened one room and measured nothing).
    /// </summary>
    public int RoomsNeeded => Runs("S1") || Runs("S5")
        ? Math.Max(Runs("S1") ? RoomLevels.Max() : 1, Runs("S5") ? FailoverRooms : 1)
        : Runs("S3") ? CallWarmup + 200 : 1;

    public string MarkdownPath { get; init; } = "docs/benchmarks.md";

    public string CsvPath { get; init; } = "docs/benchmarks.csv";

    /// <summary>Where S1's per-100-ms latency timeline is appended (<c>--timeline</c>); none by default.</summary>
    public string? TimelinePath { get; init; }

    public string Commit { get; init; } = "unknown";

    public string? PeerDll { get; init; }

    public string RedisServer { get; init; } = "redis-server";

    public int Seed { get; init; } = 8;

    /// <summary>Fail the run (exit code 1) when the correctness figures do not hold (<see cref="Reporting.SmokeCheck"/>); on for smoke runs.</summary>
    public bool Check { get; init; }

    public static BenchOptions ForProfile(string profile) => profile switch
    {
        "smoke" => new BenchOptions
        {
            Profile = profile, Check = true, RoomLevels = [10], Warmup = TimeSpan.FromSeconds(2), Measure = TimeSpan.FromSeconds(5),
            Drain = TimeSpan.FromSeconds(3), CallWarmup = 2, WarmCalls = 5, WarmCallsSettle = TimeSpan.FromSeconds(1), CostSamples = 50, SystemWarmup = TimeSpan.FromSeconds(5),
            ConnectionSteps = [50, 100], ConnectionCap = 100, ConnectionParallel = 16,
            BookingClients = 8, BookingDoctors = 2, BookingDuration = TimeSpan.FromSeconds(5),
            FailoverRooms = 10, FailoverBefore = TimeSpan.FromSeconds(3), FailoverAfter = TimeSpan.FromSeconds(2), FailoverGiveUp = TimeSpan.FromSeconds(45),
            MarkdownPath = "bench/results/smoke.md", CsvPath = "bench/results/smoke.csv",
        },
        "quick" => new BenchOptions { Profile = profile, Measure = TimeSpan.FromSeconds(15), Repeat = 3 },
        "full" => new BenchOptions
        {
            Profile = profile, Warmup = TimeSpan.FromSeconds(15), Measure = TimeSpan.FromSeconds(60), Drain = TimeSpan.FromSeconds(10), SystemWarmup = TimeSpan.FromSeconds(120),
            RampRates = [10, 15, 20, 30, 40, 60, 80], CostSamples = 2000,
            ConnectionSteps = [1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000, 19500], BookingDuration = TimeSpan.FromSeconds(60),
            FailoverBefore = TimeSpan.FromSeconds(20), FailoverAfter = TimeSpan.FromSeconds(10),
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
                case "--check": options = options with { Check = true }; break;
                case "--systems": options = options with { Systems = Next().Split(',') }; i++; break;
                case "--rooms": options = options with { RoomLevels = Next().Split(',').Select(Int).ToList() }; i++; break;
                case "--rate": options = options with { RatePerParty = Double(Next()) }; i++; break;
                case "--payload": options = options with { MinPayload = Int(Next().Split('-')[0]), MaxPayload = Int(Next().Split('-')[^1]) }; i++; break;
                case "--warmup": options = options with { Warmup = TimeSpan.FromSeconds(Double(Next())) }; i++; break;
                case "--system-warmup": options = options with { SystemWarmup = TimeSpan.FromSeconds(Double(Next())) }; i++; break;
                case "--duration": options = options with { Measure = TimeSpan.FromSeconds(Double(Next())) }; i++; break;
                case "--ramp": options = options with { RampRates = Next().Split(',').Select(Double).ToList() }; i++; break;
                case "--call-rate": options = options with { CallRate = Double(Next()) }; i++; break;
                case "--call-warmup": options = options with { CallWarmup = Int(Next()) }; i++; break;
                case "--warm-calls": options = options with { WarmCalls = Int(Next()) is var w and >= 0 ? w : throw new ArgumentException("--warm-calls: 0 or more.") }; i++; break;
                case "--repeat": options = options with { Repeat = Int(Next()) is var n and >= 1 ? n : throw new ArgumentException("--repeat: 1 or more.") }; i++; break;
                case "--scenarios": options = options with { Scenarios = Next().Split(',') }; i++; break;
                case "--connections": options = options with { ConnectionSteps = Next().Split(',').Select(Int).ToList() }; i++; break;
                case "--connection-cap": options = options with { ConnectionCap = Int(Next()) }; i++; break;
                case "--connection-hold": options = options with { ConnectionHold = TimeSpan.FromSeconds(Double(Next())) }; i++; break;
                case "--booking-clients": options = options with { BookingClients = Int(Next()) }; i++; break;
                case "--booking-doctors": options = options with { BookingDoctors = Int(Next()) }; i++; break;
                case "--booking-duration": options = options with { BookingDuration = TimeSpan.FromSeconds(Double(Next())) }; i++; break;
                case "--failover-rooms": options = options with { FailoverRooms = Int(Next()) }; i++; break;
                case "--failover-rate": options = options with { FailoverRate = Double(Next()) }; i++; break;
                case "--failover-kill": options = options with { FailoverKill = Next() is "rooms" or "doctors" ? value! : throw new ArgumentException("--failover-kill: rooms or doctors.") }; i++; break;
                case "--out": options = options with { MarkdownPath = Next() }; i++; break;
                case "--csv": options = options with { CsvPath = Next() }; i++; break;
                case "--timeline": options = options with { TimelinePath = Next() }; i++; break;
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
        Repeat > 1 ? $"S1 points: each measured {Repeat} times, the systems in a rotated order each time; the report gives every run and their median" : "S1 points: each measured once",
        RampRates.Count == 0 ? "S1 ramp: not run in this profile" : $"S1 ramp at {RoomLevels.Min()} rooms: {string.Join(", ", RampRates)} msg/s per party, stops at p99 ≥ {RampP99LimitMs} ms or < 99.9 % delivered",
        $"S3: {CallRate} calls/s; cold: the calls that open the rooms on the fresh cluster, first {CallWarmup} excluded as warm-up; " +
            (WarmCalls > 0 ? $"warm: {WarmCalls} more calls {WarmCallsSettle.TotalSeconds} s after the last S1 point and once the silos have used under {WarmCallsQuietShare * 100:0} % of a core for 2 s (up to a minute), all measured" : "warm: not run"),
        $"Signal cost probe: {CostSamples} sequential Ping and Signal invocations",
        $"Scenarios run: set-up (S3, Signal cost), {string.Join(", ", Scenarios)}",
        $"S2: idle connections in steps of {string.Join(" / ", ConnectionSteps)} (cap {ConnectionCap} and the open-file limits), {ConnectionParallel} parallel connects; stops at handshake p99 > 1 s or errors > 0.1 %",
        $"S4: {BookingClients} booking clients over two silos, {BookingDoctors} doctors' 15-min slots, warm-up {Warmup.TotalSeconds} s (excluded), {BookingDuration.TotalSeconds} s",
        $"S5: {FailoverRooms} rooms at {FailoverRate.ToString(CultureInfo.InvariantCulture)} msg/s per party, kill -9 after {FailoverBefore.TotalSeconds} s, {FailoverAfter.TotalSeconds} s more after every room relays again (give up after {FailoverGiveUp.TotalSeconds} s)",
    ];

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static double Double(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
