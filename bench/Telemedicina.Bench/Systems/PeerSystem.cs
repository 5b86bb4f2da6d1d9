using System.Diagnostics;
using System.Globalization;
using Telemedicina.Testing;

namespace Telemedicina.Bench.Systems;

/// <summary>
/// Plain ASP.NET Core SignalR (bench/Telemedicina.Bench.Peer): with <c>redis</c>, <paramref name="nodes"/> nodes on a
/// Redis backplane and the two parties of each room on different nodes; without, one node and both parties on it.
/// </summary>
internal sealed class PeerSystem(string name, int nodes, bool redis, string peerDll, string redisServer)
    : SystemUnderTest, IFailoverSystem, IConnectionTarget
{
    private readonly List<ChildProcess> _processes = [];
    private readonly List<ChildProcess> _nodes = [];
    private readonly List<Uri> _hubs = [];
    private ChildProcess? _spare;
    private Uri? _spareHub;

    public override string Name => name;

    public override IReadOnlyList<int> ServerPids => _processes.Select(p => p.Pid).ToList();

    public override async Task StartAsync(CancellationToken ct)
    {
        int? redisPort = null;
        if (redis)
        {
            var port = PostgresServer.FreeTcpPort();
            _processes.Add(ChildProcess.Start($"{name}-redis", redisServer,
                ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"]));
            redisPort = port;
            await WaitForTcpAsync(port, ct);
        }

        for (var i = 0; i < nodes; i++)
        {
            var port = PostgresServer.FreeTcpPort();
            var url = $"http://127.0.0.1:{port}";
            var node = ChildProcess.Start($"{name}-node{i + 1}", "dotnet", [peerDll, "--urls", url], NodeEnvironment(redisPort));
            _processes.Add(node);
            _nodes.Add(node);
            _hubs.Add(new Uri(url + "/hubs/consultation"));
        }

        foreach (var hub in _hubs)
        {
            await WaitReadyAsync(hub, _processes, ct);
        }
    }

    private static Dictionary<string, string> NodeEnvironment(int? redisPort)
    {
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (redisPort is { } port)
        {
            env["Peer__Redis"] = $"127.0.0.1:{port}";
        }

        return env;
    }

    private async Task WaitReadyAsync(Uri hub, IReadOnlyList<ChildProcess> processes, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(hub, "/health/ready"), ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow > deadline || processes.Any(p => p.HasExited && !p.Killed))
            {
                throw new InvalidOperationException($"{name}: a peer node did not start; logs: {string.Join(", ", processes.Select(p => p.LogPath))}");
            }

            await Task.Delay(200, ct);
        }
    }

    public override async Task OpenRoomsAsync(int count, CancellationToken ct)
    {
        var rooms = new Room[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) =>
        {
            var roomId = Guid.NewGuid();
            var aId = Guid.NewGuid();
            var a = await BenchClient.ConnectAsync(aId, UserUrl(_hubs[0], aId), Sink, null, token);
            var bId = Guid.NewGuid();
            var b = await BenchClient.ConnectAsync(bId, UserUrl(_hubs[1 % _hubs.Count], bId), Sink, null, token);
            rooms[i] = new Room(roomId, a, b);
        });
        foreach (var room in rooms)
        {
            Pair(room);
        }

        Rooms.AddRange(rooms);
    }

    // S5: node 1 (every room's party A) is killed; its clients reconnect to node 2 with the same user id.
    // The backplane keeps nothing for a user without a connection, so there is nothing to resume.
    public Task<string> PrepareFailoverAsync(int rooms, CancellationToken ct) =>
        _nodes.Count < 2
            ? throw new InvalidOperationException($"{name} has one node: nothing survives a kill.")
            : Task.FromResult($"{_nodes.Count} nodes + redis-server; killed: node 1 holding party A of all {rooms} rooms");

    public bool IsOnVictim(Party party) => Rooms.Any(r => ReferenceEquals(r.A, party));

    public int VictimPid => _nodes[0].Pid;

    public void KillVictim() => _nodes[0].Kill();

    public async Task ReconnectAsync(Party party, int index, Action<string, long> mark, CancellationToken ct)
    {
        var survivors = _hubs.Where((_, i) => !_nodes[i].HasExited).ToList();
        var connection = BenchClient.Build(UserUrl(survivors[index % survivors.Count], party.UserId));
        await SwitchConnectionAsync(party, connection, ct);
        mark("connected", Stopwatch.GetTimestamp());
    }

    // S2: idle connections on a second node of its own (no backplane, none of the S1 rooms), a fresh user id each.
    public async Task PrepareConnectionTargetAsync(CancellationToken ct)
    {
        if (_spare is not null)
        {
            return;
        }

        var port = PostgresServer.FreeTcpPort();
        var url = $"http://127.0.0.1:{port}";
        _spare = ChildProcess.Start($"{name}-s2", "dotnet", [peerDll, "--urls", url], NodeEnvironment(redisPort: null));
        _spareHub = new Uri(url + "/hubs/consultation");
        await WaitReadyAsync(_spareHub, [_spare], ct);
    }

    public async Task ReleaseConnectionTargetAsync()
    {
        if (_spare is { } spare)
        {
            _spare = null;
            await spare.DisposeAsync();
        }
    }

    public int TargetPid => (_spare ?? throw new InvalidOperationException("Prepare first.")).Pid;

    public string TargetDescription => "a node of its own (no backplane, no S1 rooms)";

    public IReadOnlyList<IdleConnection> IdleConnections() =>
        [new IdleConnection($"{_spareHub}?user={IdleConnection.UserPlaceholder}", null)];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await ReleaseConnectionTargetAsync();
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
    }

    private static void Pair(Room room)
    {
        room.A.RoomId = room.B.RoomId = room.RoomId;
        room.A.CounterpartId = room.B.UserId;
        room.B.CounterpartId = room.A.UserId;
    }

    private static Uri UserUrl(Uri hub, Guid user) => new($"{hub}?user={user}");

    private static async Task WaitForTcpAsync(int port, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync("127.0.0.1", port, ct);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }
}
