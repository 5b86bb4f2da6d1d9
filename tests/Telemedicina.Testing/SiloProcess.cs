using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Telemedicina.Testing;

/// <summary>
/// A real silo: the product's host executable started as its own process (ASP.NET Core + Orleans
/// on PostgreSQL). <see cref="Kill"/> is a real crash (SIGKILL); <see cref="StopAsync"/> a graceful SIGTERM.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();
    private readonly StreamWriter _log;

    private SiloProcess(Process process, string name, int httpPort, int siloPort, int gatewayPort, string logPath, StreamWriter log)
    {
        _process = process;
        Name = name;
        HttpPort = httpPort;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        LogPath = logPath;
        _log = log;
    }

    /// <summary>
    /// Where silo logs go: <c>TELEMEDICINA_TEST_LOG_DIR</c> when set (./test.sh gives each run a fresh
    /// directory, which its logscan stage then reads), otherwise <c>/tmp/telemedicina-test-logs</c>.
    /// </summary>
    public static string LogDirectory { get; } =
        Environment.GetEnvironmentVariable("TELEMEDICINA_TEST_LOG_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Path.GetTempPath(), "telemedicina-test-logs");

    public string Name { get; }

    public int HttpPort { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public string LogPath { get; }

    /// <summary>The address its HTTP endpoint listens on (loopback unless started in a network namespace).</summary>
    public string HttpHost { get; private init; } = "127.0.0.1";

    public Uri BaseUrl => new($"http://{HttpHost}:{HttpPort}");

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process has exited (0 after a clean graceful stop).</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>
    /// The cluster declared this silo dead while it was running (it then kills itself): a membership
    /// false positive, since a silo a test kills cannot log anything afterwards.
    /// </summary>
    public bool WasDeclaredDeadWhileAlive { get; private set; }

    /// <summary>Starts a silo; <paramref name="environment"/> adds or overrides configuration (Section__Key).</summary>
    public static SiloProcess Start(string name, string connectionString, string clusterId, IReadOnlyDictionary<string, string>? environment = null, params string[] args) =>
        Start(name, connectionString, clusterId, environment, network: null, args);

    /// <summary>
    /// Starts a silo, in a Linux network namespace when <paramref name="network"/> names one (<c>ip netns exec</c>,
    /// root only), with its HTTP endpoint on the namespace's address.
    /// </summary>
    public static SiloProcess Start(string name, string connectionString, string clusterId, IReadOnlyDictionary<string, string>? environment, SiloNetwork? network, params string[] args)
    {
        var httpPort = PostgresServer.FreeTcpPort();
        var siloPort = PostgresServer.FreeTcpPort();
        var gatewayPort = PostgresServer.FreeTcpPort();
        var httpHost = network?.HttpHost ?? "127.0.0.1";
        var psi = new ProcessStartInfo(network is null ? "dotnet" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(RepoPaths.HostDll)!,
        };
        if (network is not null)
        {
            // "ip netns exec" execs the command in place: the process id stays the silo's.
            foreach (var a in new[] { "netns", "exec", network.Namespace, "dotnet" })
            {
                psi.ArgumentList.Add(a);
            }
        }

        psi.ArgumentList.Add(RepoPaths.HostDll);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Test",
            ["DOTNET_ENVIRONMENT"] = "Test",
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Urls"] = $"http://{httpHost}:{httpPort}",
            ["Orleans__ClusterId"] = clusterId,
            ["Orleans__ServiceId"] = clusterId,
            ["Orleans__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Node__Name"] = name,
            ["ASPNETCORE_WEBROOT"] = Path.Combine(RepoPaths.Root, "src", "Host", "Telemedicina.Host", "wwwroot"),
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Orleans"] = "Warning",
            // A few lines per membership change, and what a stall after a silo's death needs read (stop 47's crash-test
            // stall): which activations the directory deactivated because the dead silo held their entries.
            ["Logging__LogLevel__Orleans.Runtime.GrainDirectory"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        foreach (var (key, value) in env)
        {
            psi.Environment[key] = value;
        }

        var logDir = LogDirectory;
        Directory.CreateDirectory(logDir);
        var logPath = Path.Combine(logDir, $"{clusterId}-{name}-{DateTime.UtcNow:HHmmssfff}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, name, httpPort, siloPort, gatewayPort, logPath, log) { HttpHost = httpHost };
        process.OutputDataReceived += (_, e) => silo.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Waits for a one-shot command to exit; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits for a one-shot command (e.g. <c>seed-demo</c>) to exit successfully.</summary>
    public async Task WaitForExitSuccessAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{Tail()}");
        }
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var deadline = Deadline.In(timeout);
        while (!deadline.Passed)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Silo {Name} exited with {_process.ExitCode} before it was ready:\n{Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUrl, "/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Silo {Name} was not ready within {timeout}:\n{Tail()}");
    }

    /// <summary>A crash: SIGKILL, no goodbye to the cluster.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>A graceful stop: SIGTERM, then wait for the host to leave the cluster and exit.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    public string Tail() => string.Join('\n', _tail);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            Kill();
            _process.Dispose();
            await _log.DisposeAsync();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.WriteLine(line);
        }

        // Orleans 10 logs "I should be Dead according to the membership table" and "I have been told I am dead, so
        // this silo will stop!" (the older "should be Dead according to membership" never matched these).
        if (line.Contains("should be Dead according to the membership", StringComparison.Ordinal)
            || line.Contains("should be Dead according to membership", StringComparison.Ordinal)
            || line.Contains("I have been told I am dead", StringComparison.Ordinal)
            || line.Contains("OrleansSiloDeclaredDeadException", StringComparison.Ordinal))
        {
            WasDeclaredDeadWhileAlive = true;
        }

        _tail.Enqueue(line);
        while (_tail.Count > 80)
        {
            _tail.TryDequeue(out _);
        }
    }
}

/// <summary>Where a silo process runs on the network: a Linux network namespace and the address its HTTP endpoint listens on.</summary>
public sealed record SiloNetwork(string Namespace, string HttpHost);
