using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Bench.Measurement;
using Telemedicina.Bench.Reporting;
using Telemedicina.Bench.Systems;

namespace Telemedicina.Bench.Scenarios;

/// <summary>Settings of S2: the connection counts to reach step by step, the cap, and the parallel connects.</summary>
internal sealed record ConnectionLoad(IReadOnlyList<int> Steps, int Cap, int Parallel, double P99LimitMs = 1000, double ErrorLimit = 0.001);

/// <summary>
/// S2: idle hub connections opened on one server process in steps (at most <see cref="ConnectionLoad.Parallel"/>
/// connects in flight) until the handshake p99 of a step exceeds 1 s, its errors exceed 0.1 %, or the cap. The
/// handshake is measured from the start of the WebSocket connect to the answer of a first <c>Ping</c>, which the
/// product's hub answers only after <c>OnConnectedAsync</c> (presence registration) has run. After every step:
/// the server's resident memory growth since before the ramp per open connection, and its open descriptors.
/// </summary>
internal static class ConnectionScenario
{
    public static async Task<List<ResultRow>> RunAsync(SystemUnderTest system, ConnectionLoad load, CancellationToken ct)
    {
        var target = (IConnectionTarget)system;
        var pid = target.TargetPid;
        var open = new List<HubConnection>();
        var rows = new List<ResultRow>();
        var cap = ConnectionRamp.Cap(load.Cap, FileLimits.OpenFileLimit(Environment.ProcessId), FileLimits.OpenFiles(Environment.ProcessId),
            FileLimits.OpenFileLimit(pid), FileLimits.OpenFiles(pid));
        var steps = ConnectionRamp.Steps(load.Steps, cap);
        var rssBefore = FileLimits.ResidentKiB(pid);
        try
        {
            foreach (var step in steps)
            {
                var handshake = new LatencyRecorder();
                var toOpen = Math.Max(0, step - open.Count);
                long errors = 0;
                var opened = new List<HubConnection>();
                var index = open.Count;
                await Parallel.ForEachAsync(Enumerable.Range(index, toOpen), new ParallelOptions { MaxDegreeOfParallelism = load.Parallel, CancellationToken = ct }, async (i, token) =>
                {
                    var connection = target.NewIdleConnection(i);
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                        timeout.CancelAfter(TimeSpan.FromSeconds(30));
                        await connection.StartAsync(timeout.Token);
                        await connection.InvokeAsync<string>("Ping", timeout.Token);
                        handshake.RecordTicks(started, Stopwatch.GetTimestamp());
                        lock (opened)
                        {
                            opened.Add(connection);
                        }
                    }
                    catch (Exception e) when (e is not OutOfMemoryException && !ct.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref errors);
                        await connection.DisposeAsync();
                    }
                });
                open.AddRange(opened);

                // Let the server settle (GC, presence writes) before reading its memory.
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
                var alive = open.Count(c => c.State == HubConnectionState.Connected);
                var rss = FileLimits.ResidentKiB(pid);
                var row = new ResultRow
                {
                    Scenario = "S2",
                    System = system.Name,
                    Load = alive,
                    Rate = load.Parallel,
                    Sent = toOpen,
                    Delivered = opened.Count,
                    Errors = errors,
                    P50 = handshake.PercentileMs(50),
                    P99 = handshake.PercentileMs(99),
                    Max = handshake.MaxMs(),
                    RssKbPerConnection = alive == 0 ? double.NaN : (rss - rssBefore) / (double)alive,
                    ServerFds = FileLimits.OpenFiles(pid),
                    LoadAverage = RunInfo.ReadLoadAverage1(),
                    Note = string.Join("; ", new[]
                    {
                        target.TargetDescription,
                        string.Create(CultureInfo.InvariantCulture, $"server RSS {rss / 1024.0:0} MiB (before the ramp {rssBefore / 1024.0:0} MiB)"),
                        step == cap && cap < load.Steps.Max() ? $"cap {cap} (open-file limits of the server and this generator)" : "",
                        alive < open.Count ? $"{open.Count - alive} connections dropped meanwhile" : "",
                    }.Where(n => n.Length > 0)),
                };
                rows.Add(row);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{DateTime.UtcNow:HH:mm:ss} [bench] S2 {system.Name}: {alive} open, handshake p50 {row.P50:0.0} p99 {row.P99:0.0} ms, {errors} errors, {row.RssKbPerConnection:0.0} KiB/conn, load avg {row.LoadAverage:0.0}"));
                if (ConnectionRamp.ShouldStop(row.P99, errors, toOpen, load.P99LimitMs, load.ErrorLimit))
                {
                    break;
                }
            }
        }
        finally
        {
            await Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (c, _) =>
            {
                try
                {
                    await c.DisposeAsync();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Closing after the ramp.
                }
            });
        }

        return rows;
    }
}

/// <summary>The pure rules of the S2 ramp.</summary>
internal static class ConnectionRamp
{
    /// <summary>Descriptors kept free in each process for everything else (sockets to PostgreSQL and other silos, logs, assemblies).</summary>
    public const int Margin = 300;

    /// <summary>
    /// The most connections the ramp may hold: one descriptor per connection in the server and one in this generator
    /// (plus what each has open already and a margin), and the configured cap.
    /// </summary>
    public static int Cap(int requested, long generatorLimit, long generatorOpen, long serverLimit, long serverOpen) =>
        (int)Math.Max(0, Math.Min(requested, Math.Min(generatorLimit - generatorOpen - Margin, serverLimit - serverOpen - Margin)));

    /// <summary>The configured steps up to the cap, ending exactly at the cap when it cuts them short.</summary>
    public static IReadOnlyList<int> Steps(IReadOnlyList<int> steps, int cap)
    {
        var below = steps.Where(s => s > 0 && s < cap).Distinct().Order().ToList();
        if (cap > 0 && steps.Any(s => s >= cap))
        {
            below.Add(cap);
        }

        return below;
    }

    /// <summary>Stop after a step whose handshake p99 exceeded the limit or whose errors exceeded the share.</summary>
    public static bool ShouldStop(double p99Ms, long errors, long attempts, double p99LimitMs, double errorLimit) =>
        !(p99Ms <= p99LimitMs) || (attempts > 0 && (double)errors / attempts > errorLimit);
}

/// <summary>Open descriptors, their limit and resident memory of a process, from /proc.</summary>
internal static class FileLimits
{
    public static long OpenFiles(int pid)
    {
        try
        {
            return Directory.GetFiles($"/proc/{pid}/fd").Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    public static long OpenFileLimit(int pid)
    {
        try
        {
            return ParseOpenFileLimit(File.ReadAllText($"/proc/{pid}/limits"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>The soft limit from the "Max open files" line of /proc/&lt;pid&gt;/limits.</summary>
    public static long ParseOpenFileLimit(string limits)
    {
        var line = limits.Split('\n').FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line?["Max open files".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return soft is not null && long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : long.MaxValue;
    }

    public static long ResidentKiB(int pid)
    {
        try
        {
            return ParseResidentKiB(File.ReadAllText($"/proc/{pid}/status"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>VmRSS in KiB from /proc/&lt;pid&gt;/status.</summary>
    public static long ParseResidentKiB(string status)
    {
        var line = status.Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var value = line?["VmRSS:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return value is not null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : 0;
    }
}
