using System.Text.Json;

namespace Telemedicina.Testing;

/// <summary>
/// A real cluster for tests: a throwaway PostgreSQL, the demo data, and N silo processes of the
/// product's host with ADO.NET clustering. Nothing is shared with ./run.sh or other test runs.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private int _next;

    private TestCluster(PostgresServer postgres, string connectionString, string clusterId, Dictionary<string, string> environment, Outbox outbox)
    {
        Outbox = outbox;
        Postgres = postgres;
        ConnectionString = connectionString;
        ClusterId = clusterId;
        _environment = environment;
    }

    /// <summary>Settings every test cluster uses: generous rate limits and a join window that opens at booking time.</summary>
    public static IReadOnlyDictionary<string, string> DefaultEnvironment { get; } = new Dictionary<string, string>
    {
        ["RateLimits__Login__PermitPerMinute"] = "10000",
        ["RateLimits__LoginPerAccount__PermitPerMinute"] = "10000",
        ["RateLimits__Register__PermitPerMinute"] = "10000",
        ["RateLimits__CallRequest__PermitPerMinute"] = "10000",
        ["Scheduling__MinimumNotice"] = "00:00:00",
        ["Scheduling__JoinWindowBefore"] = "01:00:00",
        ["Scheduling__JobInterval"] = "00:00:05",
    };

    public PostgresServer Postgres { get; }

    /// <summary>The development outbox the silos write e-mails to.</summary>
    public Outbox Outbox { get; }

    public string ConnectionString { get; }

    public string ClusterId { get; }

    public List<SiloProcess> Silos { get; } = [];

    /// <summary>The configuration every silo of this cluster gets (for commands run against it).</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    public static async Task<TestCluster> StartAsync(int silos = 2, IReadOnlyDictionary<string, string>? environment = null, bool seedDemo = true)
    {
        var postgres = await PostgresServer.StartAsync();
        var clusterId = "t" + Guid.NewGuid().ToString("N")[..10];
        var connectionString = await postgres.CreateDatabaseAsync("telemedicina");
        var outbox = new Outbox(Path.Combine(Path.GetTempPath(), "telemedicina-outbox-" + clusterId));
        var env = new Dictionary<string, string>(DefaultEnvironment)
        {
            ["Email__OutboxDirectory"] = outbox.Directory,
            // One file store for the whole cluster, as S3 is in production.
            ["Storage__FileSystem__Root"] = Path.Combine(Path.GetTempPath(), "telemedicina-files-" + clusterId),
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        var cluster = new TestCluster(postgres, connectionString, clusterId, env, outbox);
        try
        {
            if (seedDemo)
            {
                await using var seed = SiloProcess.Start("seed", connectionString, clusterId, env, "seed-demo");
                await seed.WaitForExitSuccessAsync(TimeSpan.FromMinutes(2));
            }

            for (var i = 0; i < silos; i++)
            {
                cluster.AddSilo();
            }

            await Task.WhenAll(cluster.Silos.Select(s => s.WaitReadyAsync(TimeSpan.FromSeconds(90))));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more silo in this cluster (not awaited: call <see cref="SiloProcess.WaitReadyAsync"/>).</summary>
    public SiloProcess AddSilo(IReadOnlyDictionary<string, string>? extra = null, SiloNetwork? network = null)
    {
        var env = new Dictionary<string, string>(_environment);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        var silo = SiloProcess.Start($"silo{++_next}", ConnectionString, ClusterId, env, network);
        Silos.Add(silo);
        return silo;
    }

    /// <summary>
    /// Starts a silo with other settings on this cluster's database, outbox and files, but in an Orleans cluster of its
    /// own (its own cluster and service id). For tests of a host setting (token issuer, rate limits, environment):
    /// such a silo in the shared cluster would host other tests' grains, which placement favours on a new, idle silo,
    /// and lose them when the test stops it.
    /// </summary>
    public SiloProcess AddStandaloneSilo(IReadOnlyDictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>(_environment);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        var silo = SiloProcess.Start($"alone{++_next}", ConnectionString, $"{ClusterId}-alone{_next}", env);
        Silos.Add(silo);
        return silo;
    }

    public TelemedicinaApi Api(int silo) => new(Silos[silo].BaseUrl, Outbox);

    /// <summary>The silo that hosts a room now, from the admins' diagnostics endpoint.</summary>
    public async Task<SiloProcess> RoomHostAsync(TelemedicinaApi api, TestUser admin, Guid roomId)
    {
        var diagnostics = await api.SendAsync<RoomDiagnostics>(HttpMethod.Get, $"/api/v1/admin/calls/{roomId}/diagnostics", null, admin.AccessToken);
        return Silos.Single(s => diagnostics.HostSilo.Contains($":{s.SiloPort}:", StringComparison.Ordinal));
    }

    /// <summary>A booked pair whose call the patient requested and the doctor accepted (through <paramref name="api"/>), and the silo hosting its room.</summary>
    public async Task<AcceptedCall> AcceptedCallAsync(TelemedicinaApi api, TestUser admin)
    {
        var (doctor, patient, booked, roomId) = await Scenario.AcceptedCallAsync(api, api, admin);
        return new AcceptedCall(doctor, patient, booked, roomId, await RoomHostAsync(api, admin, roomId));
    }

    /// <summary>Where each silo's log ends now, to read only what comes after.</summary>
    public long[] LogMarks() => [.. Silos.Select(s => new FileInfo(s.LogPath).Length)];

    /// <summary>Error and critical log entries written since <paramref name="marks"/> (all of them for a silo without a mark), as "silo: category: message".</summary>
    public List<string> ErrorsSince(long[] marks)
    {
        var errors = new List<string>();
        for (var i = 0; i < Silos.Count; i++)
        {
            using var stream = new FileStream(Silos[i].LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(i < marks.Length ? marks[i] : 0, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (!line.StartsWith('{') || !(line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || line.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal)))
                {
                    continue;
                }

                using var entry = JsonDocument.Parse(line);
                var root = entry.RootElement;
                var exception = root.TryGetProperty("Exception", out var e) ? e.GetString() ?? "" : "";
                errors.Add($"{Silos[i].Name}: {root.GetProperty("Category").GetString()}: {root.GetProperty("Message").GetString()} {exception.Split('\n')[0]}");
            }
        }

        return errors;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Silos.Select(s => s.DisposeAsync().AsTask()));
        var falsePositives = Silos.Where(s => s.WasDeclaredDeadWhileAlive).Select(s => $"{s.Name} ({s.LogPath})").ToList();
        await Postgres.DisposeAsync();
        foreach (var directory in new[] { Outbox.Directory, _environment["Storage__FileSystem__Root"] })
        {
            try
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }

        // Every test cluster doubles as a check of the membership tuning: a live silo must never be voted dead.
        if (falsePositives.Count > 0)
        {
            throw new InvalidOperationException("Membership declared a running silo dead (false positive): " + string.Join(", ", falsePositives));
        }
    }
}

/// <summary>An accepted call: its parties, appointment, room and the silo hosting the room.</summary>
public sealed record AcceptedCall(TestUser Doctor, TestUser Patient, Booked Booked, Guid RoomId, SiloProcess Host);
