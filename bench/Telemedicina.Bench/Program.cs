// Telemedicina benchmark harness (issue 8): starts every system under test itself, drives them with the
// same SignalR clients and payloads in one process, and writes docs/benchmarks.md plus a CSV.
// Run through ./bench.sh, which builds first and makes sure redis-server is installed.
using Telemedicina.Bench;
using Telemedicina.Bench.Measurement;
using Telemedicina.Bench.Reporting;
using Telemedicina.Bench.Scenarios;
using Telemedicina.Bench.Systems;
using Telemedicina.Testing;

// S2's client process (see IdleClients): the generator started again in that mode.
if (args is [IdleClients.Mode, var specFile, var parallelConnects])
{
    return await IdleClients.RunChildAsync(specFile, int.Parse(parallelConnects, System.Globalization.CultureInfo.InvariantCulture));
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
// SIGTERM would otherwise end the process without stopping the servers it started (PostgreSQL, silos,
// peers, redis-server); cancelling runs the clean-up below.
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancellation.Cancel();
});
var ct = cancellation.Token;
var run = RunInfo.Collect(options.Commit, options.Profile, options.Describe());
var rows = new List<ResultRow>();
var notes = new List<string>();
var peerDll = options.PeerDll ?? Path.Combine(RepoPaths.Root, "bench", "Telemedicina.Bench.Peer", "bin", RepoPaths.Configuration, "net10.0", "Telemedicina.Bench.Peer.dll");
var maxRooms = options.RoomsNeeded;
notes.Add($"Server builds (ours is deployed this way): ours runs {BuildOf(SafeHostDll())}; " +
    $"peer-redis and limit run {BuildOf(peerDll)}.");
var failed = false;
var cancelled = false;

void Log(string line) => Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} [bench] {line}");

// A scenario that threw: the run fails, the log gets the whole exception, the report a one-line note.
void Fail(string what, Exception e, string note)
{
    failed = true;
    Log($"{what}: {e}");
    notes.Add(note);
}

static string Brief(Exception e) => $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";

var systems = new List<SystemUnderTest>();
try
{
    // Every system is started and its rooms opened first; then each load level runs on all systems back to
    // back (in rotating order), so a change in the machine's background load hits them alike.
    foreach (var name in options.Systems)
    {
        SystemUnderTest system = name switch
        {
            "ours" => new OursSystem(name, 2, options.CallRate, options.CallWarmup) { KillDoctorsSilo = options.FailoverKill == "doctors", WarmCallCount = options.WarmCalls },
            // Diagnostic variant (not in the default set): one silo, both parties on it, no hop between silos.
            "ours-1silo" => new OursSystem(name, 1, options.CallRate, options.CallWarmup),
            // Diagnostic variant: the OpenTelemetry SDK switched off (no activities for hub invocations and grain calls).
            "ours-notrace" => new OursSystem(name, 2, options.CallRate, options.CallWarmup, new Dictionary<string, string> { ["OTEL_SDK_DISABLED"] = "true" }),
            "peer-redis" => new PeerSystem(name, 2, redis: true, peerDll, options.RedisServer),
            "limit" => new PeerSystem(name, 1, redis: false, peerDll, options.RedisServer),
            _ => throw new ArgumentException($"Unknown system '{name}' (ours, ours-1silo, ours-notrace, peer-redis, limit)."),
        };
        try
        {
            Log($"{name}: starting");
            await system.StartAsync(ct);
            Log($"{name}: opening {maxRooms} rooms");
            var opening = System.Diagnostics.Stopwatch.StartNew();
            await system.OpenRoomsAsync(maxRooms, ct);
            Log($"{name}: {system.Rooms.Count} rooms open in {opening.Elapsed.TotalSeconds:0} s");
            if (system is OursSystem ours)
            {
                notes.Add($"Setup of ours: {maxRooms + ours.WarmCallCount} booked doctor/patient pairs through the HTTP API in {ours.PairSetupTime.TotalSeconds:0} s " +
                    $"({ours.WarmCallCount} of them kept for the warm S3 batch); all rooms open in {opening.Elapsed.TotalSeconds:0} s.");
                rows.Add(CallRow(ours, ours.ColdCalls, ours.Name == "ours" ? "cold: the first calls after start" : "cold; one silo"));
                Log($"S3 {ours.Name} (cold): {ours.ColdCalls.Notified}/{ours.ColdCalls.Requested} notified, p50 {rows[^1].P50:0.0} ms p99 {rows[^1].P99:0.0} ms");
            }

            rows.AddRange(await SignalCostScenario.RunAsync(system, options.CostSamples, 1024, ct));
            Log($"{name}: Ping p50 {rows[^2].P50:0.00} ms, Signal ack p50 {rows[^1].P50:0.00} ms p99 {rows[^1].P99:0.00} ms");
            systems.Add(system);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail($"{name}: FAILED to start", e, $"{name}: could not be started or set up ({Brief(e)}); it has no S1 rows.");
            await system.DisposeAsync();
        }
    }

    async Task<ResultRow?> RelayAsync(SystemUnderTest system, RelayLoad load, string repetition = "")
    {
        try
        {
            var row = await RelayScenario.RunAsync(system, load, options.Seed, ct, options.TimelinePath);
            if (repetition.Length > 0)
            {
                row = row with { Note = row.Note.Length > 0 ? $"{repetition}; {row.Note}" : repetition };
            }

            rows.Add(row);
            Log($"{load.Scenario} {system.Name} {load.Rooms} rooms x {load.RatePerParty} msg/s: {row.Delivered}/{row.Sent} p50 {row.P50:0.0} p99 {row.P99:0.0} p99.9 {row.P999:0.0} ms, " +
                $"ack p99 {row.AckP99:0.0} ms, cpu {row.CpuMsPer1kMessages:0} ms/1k, load avg {row.LoadAverage:0.0}");
            return row;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail($"{system.Name}: S1 FAILED", e, $"{system.Name}: S1 at {load.Rooms} rooms x {load.RatePerParty} msg/s failed ({e.GetType().Name}).");
            return null;
        }
    }

    if (options.SystemWarmup > TimeSpan.Zero && options.Runs("S1"))
    {
        var warmup = new RelayLoad("warm-up", options.RoomLevels.Min(), options.RatePerParty, options.MinPayload, options.MaxPayload,
            TimeSpan.Zero, options.SystemWarmup, options.Drain);
        foreach (var system in systems)
        {
            var row = await RelayScenario.RunAsync(system, warmup, options.Seed, ct);
            Log($"warm-up {system.Name} (not recorded): {row.Delivered}/{row.Sent} p50 {row.P50:0.0} p99 {row.P99:0.0} ms");
        }
    }

    for (var level = 0; level < (options.Runs("S1") ? options.RoomLevels.Count : 0); level++)
    {
        var load = new RelayLoad("S1", options.RoomLevels[level], options.RatePerParty, options.MinPayload, options.MaxPayload, options.Warmup, options.Measure, options.Drain);
        // Each repetition runs the systems in another order, so none is always measured right after the same one.
        for (var repetition = 0; repetition < options.Repeat; repetition++)
        {
            foreach (var system in Rotate(systems, level + repetition))
            {
                await RelayAsync(system, load, options.Repeat > 1 ? $"run {repetition + 1} of {options.Repeat}" : "");
            }
        }
    }

    var ramping = new List<SystemUnderTest>(systems);
    foreach (var rate in options.Runs("S1") ? options.RampRates : [])
    {
        var load = new RelayLoad("S1-ramp", options.RoomLevels.Min(), rate, options.MinPayload, options.MaxPayload, options.Warmup, options.Measure, options.Drain);
        foreach (var system in ramping.ToList())
        {
            var row = await RelayAsync(system, load);
            if (row is null || !(row.P99 < options.RampP99LimitMs) || row.DeliveredRatio < 0.999)
            {
                ramping.Remove(system);
            }
        }
    }

    // S3 again on the warm cluster (ours only): after S1 the JIT has optimised the hot paths and the pools are full.
    // It starts a few seconds after the last S1 point, which on this box can leave the silos seconds behind (400 rooms),
    // and then waits for the silos to go quiet: the steady state, not the tail of the S1 backlog (the cold batch has the
    // disturbed start).
    foreach (var ours in systems.OfType<OursSystem>().Where(s => s.WarmCallCount > 0))
    {
        try
        {
            await Task.Delay(options.WarmCallsSettle, ct);
            var (waited, quiet) = await QuietWait.ForProcesses(() => ours.ServerPids)
                .UntilQuietAsync(options.WarmCallsQuietShare, TimeSpan.FromSeconds(1), quietWindows: 2, maxWindows: 60, ct);
            var settled = $"silos {(quiet ? "quiet" : "still busy")} {options.WarmCallsSettle.TotalSeconds + waited:0} s after it";
            var reconnected = await ours.RequestWarmCallsAsync(ct);
            var note = (options.Runs("S1") ? $"warm: after S1 ({settled})" : "warm: a second batch") + (reconnected > 0 ? $" ({reconnected} idle doctors reconnected first)" : "");
            rows.Add(CallRow(ours, ours.WarmCalls, note));
            Log($"S3 {ours.Name} (warm): {ours.WarmCalls.Notified}/{ours.WarmCalls.Requested} notified, p50 {rows[^1].P50:0.0} ms p99 {rows[^1].P99:0.0} ms");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail($"{ours.Name}: warm S3 FAILED", e, $"{ours.Name}: the warm S3 batch failed ({Brief(e)}).");
        }
    }

    // S4 booking (ours only; on the running two-silo cluster, with its own doctors and patients).
    foreach (var ours in options.Runs("S4") ? systems.OfType<OursSystem>().Where(s => s.Name == "ours") : [])
    {
        try
        {
            Log($"S4 {ours.Name}: {options.BookingClients} clients, {options.BookingDoctors} doctors");
            var row = await BookingScenario.RunAsync(ours, new BookingLoad(options.BookingClients, options.BookingDoctors, options.BookingDuration, options.Seed, options.Warmup), ct);
            rows.Add(row);
            Log($"S4 {ours.Name}: {row.Delivered} booked ({row.Delivered / row.MeasureSeconds:0.0}/s), {row.Conflicts} x 409, {row.Errors} errors, p50 {row.P50:0.0} p99 {row.P99:0.0} ms, " +
                $"double bookings {row.DoubleBookings}, load avg {row.LoadAverage:0.0}");
            failed |= row.DoubleBookings != 0;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail("S4 FAILED", e, $"S4 failed ({Brief(e)}).");
        }
    }

    // S2 connections (ours and limit): on a server process without S1 rooms, from a client process of its own.
    foreach (var system in options.Runs("S2") ? systems.Where(s => s.Name is "ours" or "limit") : [])
    {
        try
        {
            rows.AddRange(await ConnectionScenario.RunAsync(system,
                new ConnectionLoad(options.ConnectionSteps, options.ConnectionCap, options.ConnectionParallel, options.ConnectionHold), ct));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail($"S2 {system.Name} FAILED", e, $"S2 on {system.Name} failed ({Brief(e)}).");
        }
    }

    // S5 failover last: it kills a node of each system.
    foreach (var system in options.Runs("S5") ? systems.Where(s => s.Name is "ours" or "peer-redis") : [])
    {
        try
        {
            var load = new FailoverLoad(Math.Min(options.FailoverRooms, system.Rooms.Count), options.FailoverRate, options.FailoverBefore, options.FailoverAfter, options.FailoverGiveUp);
            Log($"S5 {system.Name}: {load.Rooms} rooms at {load.RatePerParty} msg/s per party, kill -9 in {load.Before.TotalSeconds:0} s");
            var row = await FailoverScenario.RunAsync(system, load, ct);
            rows.Add(row);
            Log($"S5 {system.Name}: {row.Delivered}/{row.Sent} rooms relay again, p50 {row.P50:0} ms max {row.Max:0} ms after the kill; " +
                $"lost after kill {row.LostAfterKill}, after resume {row.LostAfterResume}; load avg {row.LoadAverage:0.0}; {row.Note}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail($"S5 {system.Name} FAILED", e, $"S5 on {system.Name} failed ({Brief(e)}).");
        }
    }
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Log("cancelled: stopping the servers; no report written");
    cancelled = true;
}
finally
{
    foreach (var system in systems)
    {
        if (system is OursSystem ours)
        {
            notes.Add(ours.MembershipNote());
        }

        await system.DisposeAsync();
    }
}

if (cancelled)
{
    return 130;
}

notes.Add("Figures from one 2-core machine (the load average at the start, under Run, tells whether anything else was running; " +
    "the load average column counts runnable threads on 2 cores): they compare the three systems within one run, not absolute capacity.");
notes.Add("The generator (800 SignalR clients at the top level) runs on the same 2 cores as the servers and takes a large share of them; its CPU is in the CSV. " +
    "Every process of the run (generator, silos, plain SignalR nodes) has thread-pool spinning off (System.Threading.ThreadPool.UnfairSemaphoreSpinLimit = 0 " +
    "in its runtimeconfig, as the product's host ships): the systems differ in how they route, not in runtime settings.");
notes.Add("Coordinated omission: sends follow a fixed schedule and never wait for earlier answers (open loop), and the latency counts from the actual send; " +
    "'send lag p99' is how late the generator fired against the schedule — when it is large the generator itself was starved and latencies are understated by about that much.");
notes.Add("CPU per 1k messages counts the server processes only (2 silos; 2 nodes + redis-server; 1 node). PostgreSQL is not counted for ours: nothing on the signal path touches it.");

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.MarkdownPath))!);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.CsvPath))!);
await File.WriteAllTextAsync(options.CsvPath, Report.ToCsv(rows), CancellationToken.None);
await File.WriteAllTextAsync(options.MarkdownPath, Report.ToMarkdown(run, rows, notes), CancellationToken.None);
Log($"wrote {options.MarkdownPath} and {options.CsvPath}");
if (options.Check)
{
    var violations = SmokeCheck.Violations(options, rows);
    foreach (var violation in violations)
    {
        Log($"CHECK FAILED: {violation}");
    }

    Log(violations.Count == 0 ? "check passed: every scenario ran on every system, nothing lost, reordered or booked twice" : $"check: {violations.Count} problem(s)");
    failed |= violations.Count > 0;
}

return failed ? 1 : 0;

ResultRow CallRow(OursSystem ours, CallBatch batch, string note) => new()
{
    Scenario = "S3", System = ours.Name, Note = note, Load = (int)batch.Requested, Rate = options.CallRate,
    Sent = batch.Requested, Delivered = batch.Notified, Errors = batch.Errors,
    P50 = batch.Setup.PercentileMs(50), P99 = batch.Setup.PercentileMs(99), P999 = batch.Setup.PercentileMs(99.9), Max = batch.Setup.MaxMs(),
    AckP50 = batch.Http.PercentileMs(50), AckP99 = batch.Http.PercentileMs(99), LoadAverage = RunInfo.ReadLoadAverage1(),
};

// What the first requests of a fresh server pay for: precompiled code or the JIT on every first call (S3 shows it).
static string BuildOf(string? dll) => dll is null || !File.Exists(dll)
    ? "a build that was not found"
    : ReadyToRun.IsPrecompiled(dll)
        ? $"precompiled code (ReadyToRun, `dotnet publish -r`: {Where(dll)}); the JIT recompiles only hot methods"
        : $"IL only ({Where(dll)}): the JIT compiles every method on its first call";

static string Where(string dll) => Path.GetRelativePath(RepoPaths.Root, Path.GetDirectoryName(Path.GetFullPath(dll))!) + "/";

static string? SafeHostDll()
{
    try
    {
        return RepoPaths.HostDll;
    }
    catch (FileNotFoundException)
    {
        return null;
    }
}

static IEnumerable<T> Rotate<T>(IReadOnlyList<T> items, int by) => items.Skip(by % Math.Max(1, items.Count)).Concat(items.Take(by % Math.Max(1, items.Count)));
