using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Bench.Measurement;
using Telemedicina.Bench.Reporting;
using Telemedicina.Bench.Systems;

namespace Telemedicina.Bench.Scenarios;

/// <summary>Settings of S2: the connection counts to reach step by step, the cap, and the parallel connects.</summary>
internal sealed record ConnectionLoad(IReadOnlyList<int> Steps, int Cap, int Parallel, TimeSpan Hold, double P99LimitMs = 1000, double ErrorLimit = 0.001);

/// <summary>
/// S2: idle hub connections opened on one server process in steps (at most <see cref="ConnectionLoad.Parallel"/>
/// connects in flight) until the handshake p99 of a step exceeds 1 s, its errors exceed 0.1 %, or the cap. The
/// handshake is measured from the start of the WebSocket connect to the answer of a first <c>Ping</c>, which the
/// product's hub answers only after <c>OnConnectedAsync</c> (presence registration) has run. After every step:
/// the server's resident memory growth since before the ramp per open connection, and its open descriptors.
/// The server is a process holding none of the S1 rooms (<see cref="IConnectionTarget"/>), and the clients run in a
/// process of their own (<see cref="IdleClients"/>): the open-file limit of each process then counts S2's
/// connections only.
/// </summary>
internal static class ConnectionScenario
{
    public static async Task<List<ResultRow>> RunAsync(SystemUnderTest system, ConnectionLoad load, CancellationToken ct)
    {
        var target = (IConnectionTarget)system;
        await target.PrepareConnectionTargetAsync(ct);
        var pid = target.TargetPid;
        var rows = new List<ResultRow>();
        try
        {
            await using var clients = await IdleClients.StartAsync(target.IdleConnections(), load.Parallel, ct);
            var cap = ConnectionRamp.Cap(load.Cap, clients.OpenFileLimit, clients.OpenFilesAtStart, FileLimits.OpenFileLimit(pid), FileLimits.OpenFiles(pid));
            var rssBefore = FileLimits.ResidentKiB(pid);
            var fdsBefore = FileLimits.OpenFiles(pid);
            foreach (var step in ConnectionRamp.Steps(load.Steps, cap))
            {
                var result = await clients.OpenAsync(step, ct);

                // Let the server settle (GC, presence writes) before reading its memory.
                await Task.Delay(load.Hold, ct);
                var rss = FileLimits.ResidentKiB(pid);
                var row = new ResultRow
                {
                    Scenario = "S2",
                    System = system.Name,
                    Load = result.Alive,
                    Rate = load.Parallel,
                    Sent = result.Attempted,
                    Delivered = result.Opened,
                    Errors = result.Errors,
                    P50 = result.P50,
                    P99 = result.P99,
                    Max = result.Max,
                    RssKbPerConnection = result.Alive == 0 ? double.NaN : (rss - rssBefore) / (double)result.Alive,
                    ServerFds = FileLimits.OpenFiles(pid),
                    LoadAverage = RunInfo.ReadLoadAverage1(),
                    Note = string.Join("; ", new[]
                    {
                        target.TargetDescription,
                        string.Create(CultureInfo.InvariantCulture, $"server RSS {rss / 1024.0:0} MiB (before the ramp {rssBefore / 1024.0:0} MiB, {fdsBefore} descriptors)"),
                        step == cap && cap < load.Steps.Max() ? $"cap {cap} (open-file limits of the server and the client process)" : "",
                        result.Alive < result.Total ? $"{result.Total - result.Alive} connections dropped meanwhile" : "",
                    }.Where(n => n.Length > 0)),
                };
                rows.Add(row);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{DateTime.UtcNow:HH:mm:ss} [bench] S2 {system.Name}: {result.Alive} open, handshake p50 {row.P50:0.0} p99 {row.P99:0.0} ms, {result.Errors} errors, {row.RssKbPerConnection:0.0} KiB/conn, server fds {row.ServerFds}, load avg {row.LoadAverage:0.0}"));
                if (ConnectionRamp.ShouldStop(row.P99, result.Errors, result.Attempted, load.P99LimitMs, load.ErrorLimit))
                {
                    break;
                }
            }
        }
        finally
        {
            await target.ReleaseConnectionTargetAsync();
        }

        return rows;
    }
}

/// <summary>What the client process reports after a step.</summary>
internal sealed record IdleStep(int Attempted, int Opened, long Errors, double P50, double P99, double Max, int Alive, int Total);

/// <summary>
/// The client side of S2 in a child process (the generator itself, started as <c>connect-idle SPECS PARALLEL</c>):
/// the generator holds the S1 rooms' connections of every system, which would otherwise count against its
/// open-file limit. Protocol on the child's stdin/stdout, one line each: it prints <c>ready LIMIT OPEN</c>; the
/// parent sends <c>open N</c> (hold N connections), answered by <c>opened ...</c> (<see cref="IdleStep"/>), and
/// <c>quit</c>.
/// </summary>
internal sealed class IdleClients : IAsyncDisposable
{
    public const string Mode = "connect-idle";

    private readonly Process _process;
    private readonly string _specFile;

    private IdleClients(Process process, string specFile)
    {
        _process = process;
        _specFile = specFile;
    }

    public long OpenFileLimit { get; private set; }

    public long OpenFilesAtStart { get; private set; }

    public static async Task<IdleClients> StartAsync(IReadOnlyList<IdleConnection> connections, int parallel, CancellationToken ct)
    {
        // Tokens go through a private file, not the command line (visible to every user in ps).
        var specFile = Path.Combine(Path.GetTempPath(), $"telemedicina-bench-s2-{Guid.NewGuid():N}.tsv");
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var writer = new StreamWriter(specFile, System.Text.Encoding.UTF8, fileOptions))
        {
            foreach (var connection in connections)
            {
                await writer.WriteLineAsync($"{connection.HubUrl}\t{connection.AccessToken}".AsMemory(), ct);
            }
        }

        var self = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(IdleClients).Assembly.Location);
        }

        psi.ArgumentList.Add(Mode);
        psi.ArgumentList.Add(specFile);
        psi.ArgumentList.Add(parallel.ToString(CultureInfo.InvariantCulture));
        var clients = new IdleClients(Process.Start(psi) ?? throw new InvalidOperationException("The S2 client process did not start."), specFile);
        var ready = (await clients.ReadAsync(ct)).Split(' ');
        if (ready is not ["ready", var limit, var open])
        {
            throw new InvalidOperationException($"The S2 client process said '{string.Join(' ', ready)}' instead of ready.");
        }

        clients.OpenFileLimit = long.Parse(limit, CultureInfo.InvariantCulture);
        clients.OpenFilesAtStart = long.Parse(open, CultureInfo.InvariantCulture);
        return clients;
    }

    public async Task<IdleStep> OpenAsync(int total, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync($"open {total.ToString(CultureInfo.InvariantCulture)}".AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        var line = (await ReadAsync(ct)).Split(' ');
        if (line is not ["opened", _, _, _, _, _, _, _, _])
        {
            throw new InvalidOperationException($"The S2 client process answered '{string.Join(' ', line)}'.");
        }

        int I(int i) => int.Parse(line[i], CultureInfo.InvariantCulture);
        double D(int i) => double.Parse(line[i], CultureInfo.InvariantCulture);
        return new IdleStep(I(1), I(2), I(3), D(4), D(5), D(6), I(7), I(8));
    }

    private async Task<string> ReadAsync(CancellationToken ct) =>
        await _process.StandardOutput.ReadLineAsync(ct) ?? throw new InvalidOperationException("The S2 client process ended early.");

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
            File.Delete(_specFile);
        }
    }

    /// <summary>The child's side: opens and holds the connections the parent asks for.</summary>
    public static async Task<int> RunChildAsync(string specFile, int parallel)
    {
        var specs = (await File.ReadAllLinesAsync(specFile)).Where(l => l.Length > 0).Select(l => l.Split('\t'))
            .Select(p => new IdleConnection(p[0], p.Length > 1 && p[1].Length > 0 ? p[1] : null)).ToList();
        var open = new List<HubConnection>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ready {FileLimits.OpenFileLimit(Environment.ProcessId)} {FileLimits.OpenFiles(Environment.ProcessId)}"));
        try
        {
            while (await Console.In.ReadLineAsync() is { } command && command.Split(' ') is ["open", var count])
            {
                var toOpen = Math.Max(0, int.Parse(count, CultureInfo.InvariantCulture) - open.Count);
                var handshake = new LatencyRecorder();
                long errors = 0;
                var opened = new List<HubConnection>();
                await Parallel.ForEachAsync(Enumerable.Range(open.Count, toOpen), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) =>
                {
                    var spec = specs[i % specs.Count];
                    var connection = BenchClient.Build(new Uri(spec.HubUrl.Replace(IdleConnection.UserPlaceholder, Guid.NewGuid().ToString(), StringComparison.Ordinal)),
                        spec.AccessToken is { } token ? () => token : null);
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                        await connection.StartAsync(timeout.Token);
                        await connection.InvokeAsync<string>("Ping", timeout.Token);
                        handshake.RecordTicks(started, Stopwatch.GetTimestamp());
                        lock (opened)
                        {
                            opened.Add(connection);
                        }
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        Interlocked.Increment(ref errors);
                        await connection.DisposeAsync();
                    }
                });
                open.AddRange(opened);
                var alive = open.Count(c => c.State == HubConnectionState.Connected);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"opened {toOpen} {opened.Count} {errors} {handshake.PercentileMs(50)} {handshake.PercentileMs(99)} {handshake.MaxMs()} {alive} {open.Count}"));
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

        return 0;
    }
}

/// <summary>The pure rules of the S2 ramp.</summary>
internal static class ConnectionRamp
{
    /// <summary>
    /// Descriptors kept free in each process for what it opens during the ramp besides the connections (sockets to
    /// PostgreSQL and other silos, logs). Measured over full ramps to 19,300 connections: a silo opened 24 more, a
    /// plain node 4; 64 leaves more than twice the most seen. (It was 300 before the measure.)
    /// </summary>
    public const int Margin = 64;

    /// <summary>
    /// The most connections the ramp may hold: one descriptor per connection in the server and one in the client process
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
