using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Telemedicina.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for one test run: initdb into a temporary folder, start on a
/// free loopback port, drop everything on dispose. When the process runs as root (CI), the
/// server runs as the <c>postgres</c> user because initdb refuses root.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _dataDir;
    private bool _running;

    private PostgresServer(string dataDir, int port)
    {
        _dataDir = dataDir;
        Port = port;
    }

    public int Port { get; }

    public string AdminConnectionString => ConnectionString("postgres");

    /// <summary>The postmaster's process id (first line of <c>postmaster.pid</c>), or null when it is not running.</summary>
    public int? ProcessId
    {
        get
        {
            try
            {
                return int.TryParse(File.ReadLines(Path.Combine(_dataDir, "postmaster.pid")).FirstOrDefault(), out var pid) ? pid : null;
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            // Npgsql's defaults (pool of 100, 15 s to open a connection), as in production: with 5 s and 50, a
            // machine-wide stall of 5.9 s on a loaded CI box turned a registration into a 503 (silo logs of the
            // failed CI run of 72732a9: both silos' timers fired 4-6 s late at the same moment).
        }.ConnectionString;

    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "telemedicina-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await Exec("chown", ["postgres:postgres", dataDir], false, cancellationToken);
        }

        await Exec(Tool("initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], asRoot, cancellationToken);
        var server = new PostgresServer(dataDir, FreeTcpPort());
        await server.StartProcessAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts a stopped server again on the same port (used by database-outage tests).</summary>
    public Task StartProcessAsync(CancellationToken cancellationToken = default)
    {
        var options = string.Join(' ',
            $"-p {Port}", $"-k {_dataDir}", "-c listen_addresses=127.0.0.1", "-c fsync=off",
            "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=400",
            "-c shared_buffers=128MB");
        _running = true;
        return Exec(Tool("pg_ctl"), ["-D", _dataDir, "-o", options, "-l", Path.Combine(_dataDir, "server.log"), "-w", "-t", "30", "start"],
            Environment.UserName == "root", cancellationToken);
    }

    /// <summary>Stops the server immediately (simulates a database outage).</summary>
    public Task StopProcessAsync(CancellationToken cancellationToken = default) => StopAsync("immediate", cancellationToken);

    /// <summary>
    /// Stops the server the way an operator or a failover does (<c>pg_ctl stop -m fast</c>: sessions are cut, what was
    /// committed is written). Use it when a test counts committed rows afterwards: this throwaway server runs with
    /// <c>synchronous_commit=off</c>, so an immediate stop may drop the last commits, which no product could help.
    /// </summary>
    public Task StopFastAsync(CancellationToken cancellationToken = default) => StopAsync("fast", cancellationToken);

    private async Task StopAsync(string mode, CancellationToken cancellationToken)
    {
        if (!_running)
        {
            return;
        }

        _running = false;
        await Exec(Tool("pg_ctl"), ["-D", _dataDir, "-m", mode, "-w", "stop"], Environment.UserName == "root", cancellationToken);
    }

    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await StopProcessAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone; nothing to stop.
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// A loopback port that is free now, taken below the kernel's ephemeral range (32768+): a port the
    /// kernel handed out for "any port" can be given to some client's outgoing connection before the
    /// server we start binds it ("address already in use", seen in CI). Each test process walks the
    /// range from its own random offset, so parallel test processes rarely even try the same port.
    /// </summary>
    public static int FreeTcpPort()
    {
        for (var attempt = 0; attempt < PortRangeSize; attempt++)
        {
            var port = PortRangeStart + (int)((uint)Interlocked.Increment(ref s_portCursor) % PortRangeSize);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        using var any = new TcpListener(IPAddress.Loopback, 0);
        any.Start();
        return ((IPEndPoint)any.LocalEndpoint).Port;
    }

    private const int PortRangeStart = 20000;
    private const int PortRangeSize = 12000;
    private static int s_portCursor = Random.Shared.Next(PortRangeSize);

    private static string Tool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':'))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        foreach (var version in versions.OrderByDescending(v => v, StringComparer.Ordinal))
        {
            var candidate = Path.Combine(version, "bin", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"PostgreSQL tool '{name}' not found: install the 'postgresql' package (./test.sh does).");
    }

    private static async Task Exec(string file, string[] args, bool asPostgres, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
            {
                psi.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr} {await stdout}");
        }
    }
}
