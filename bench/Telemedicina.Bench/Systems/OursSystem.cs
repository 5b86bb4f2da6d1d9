using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Bench.Measurement;
using Telemedicina.Testing;

namespace Telemedicina.Bench.Systems;

/// <summary>
/// The product: a throwaway PostgreSQL and two silo processes of the built host (ADO.NET clustering), as the
/// tests start them (<see cref="TestCluster"/>). Rooms are real accepted calls between booked doctor/patient
/// pairs created through the HTTP API; doctors connect to silo 1, patients to silo 2.
/// </summary>
internal sealed class OursSystem(string name, int silos, double callRate, int callWarmup, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    : SystemUnderTest, IFailoverSystem, IConnectionTarget
{
    private const string Password = "Senha-de-bench-123";

    /// <summary>Bench-only overrides, on top of the tests' defaults (generous login/registration limits, join window open at booking).</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["Identity__RequireConfirmedEmail"] = "false",
        // A run lasts longer than the default 15 min: S2 opens connections and S5 reconnects with the setup's tokens.
        ["Identity__AccessTokenLifetime"] = "04:00:00",
        ["Scheduling__JoinWindowBefore"] = "02:00:00",
        ["Scheduling__JobInterval"] = "00:01:00",
        ["Calls__MessagesPerSecond"] = "1000",
        ["Calls__MessageBurst"] = "2000",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Orleans"] = "Warning",
    };

    private readonly ConcurrentDictionary<Guid, long> _callRequestedAt = new();
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _callRequestedSignal = new();
    private readonly ConcurrentDictionary<Guid, TestUser> _users = new();
    private TestCluster? _cluster;
    private TestUser? _admin;
    private SiloProcess? _victim;
    private HashSet<Party> _victimParties = [];

    public override string Name => name;

    public override IReadOnlyList<int> ServerPids => _cluster?.Silos.Select(s => s.ProcessId).ToList() ?? [];

    /// <summary>S3 on the fresh cluster: the calls that open the rooms, warm-up calls excluded.</summary>
    public CallBatch ColdCalls { get; } = new();

    /// <summary>S3 on the warm cluster (<see cref="RequestWarmCallsAsync"/>): calls of pairs kept aside at set-up.</summary>
    public CallBatch WarmCalls { get; } = new();

    /// <summary>Pairs booked and doctors connected at set-up for <see cref="RequestWarmCallsAsync"/> (0: none).</summary>
    public int WarmCallCount { get; init; }

    private BookedPair[] _warmPairs = [];
    private Party[] _warmDoctors = [];

    public TimeSpan PairSetupTime { get; private set; }

    /// <summary>The running cluster (S4 books through it and checks its database).</summary>
    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("Start first.");

    public TestUser Admin => _admin ?? throw new InvalidOperationException("Start first.");

    /// <summary>Every user the setup created (doctors and patients, logged in).</summary>
    public IReadOnlyList<TestUser> Users => _users.Values.OrderBy(u => u.Email, StringComparer.Ordinal).ToList();

    public override async Task StartAsync(CancellationToken ct)
    {
        var environment = new Dictionary<string, string>(Environment);
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        _cluster = await TestCluster.StartAsync(silos, environment);
        using var api = _cluster.Api(0);
        _admin = await api.LoginDemoAdminAsync();
    }

    public override async Task OpenRoomsAsync(int count, CancellationToken ct)
    {
        var cluster = _cluster ?? throw new InvalidOperationException("Start first.");
        var doctorApi = cluster.Api(0);
        var patientApi = cluster.Api(silos > 1 ? 1 : 0);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct };
        var wide = new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct };

        // 1. Booked pairs: doctor registered and verified on silo 1, patient with consent on silo 2.
        // (The pairs past count are kept for the warm S3 batch; their doctors connect too.)
        var setup = Stopwatch.StartNew();
        var pairs = new BookedPair[count + WarmCallCount];
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs.Length), parallel, async (i, _) =>
            pairs[i] = await Retry(() => CreatePairAsync(doctorApi, patientApi, i)));
        PairSetupTime = setup.Elapsed;
        _warmPairs = pairs[count..];

        // 2. Doctors connect (silo 1) and listen for CallRequested.
        var doctors = new Party[pairs.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs.Length), wide, async (i, token) =>
        {
            var doctor = pairs[i].Doctor;
            var party = BenchClient.Build(Hub(0), () => doctor.AccessToken);
            doctors[i] = await ConnectAsync(doctor, party, listenForCalls: true, token);
        });

        _warmDoctors = doctors[count..];

        // 3. S3 (cold): patients request the calls at a fixed rate (open loop) from silo 2.
        var rooms = await RequestCallsAsync(patientApi, pairs[..count], callWarmup, ColdCalls, ct);

        // 4. Doctors accept; patients connect (silo 2); both join.
        await Parallel.ForEachAsync(Enumerable.Range(0, count), wide, async (i, token) =>
        {
            var pair = pairs[i];
            await Retry(() => doctorApi.CallActionAsync(pair.Doctor, rooms[i], "accept"));
            var patient = await ConnectAsync(pair.Patient, BenchClient.Build(Hub(silos > 1 ? 1 : 0), () => pair.Patient.AccessToken), listenForCalls: false, token);
            var room = new Room(rooms[i], doctors[i], patient);
            room.A.RoomId = room.B.RoomId = room.RoomId;
            room.A.CounterpartId = room.B.UserId;
            room.B.CounterpartId = room.A.UserId;
            await room.A.Connection.InvokeAsync<JsonElement>("JoinRoom", room.RoomId.ToString(), token);
            await room.B.Connection.InvokeAsync<JsonElement>("JoinRoom", room.RoomId.ToString(), token);
            lock (Rooms)
            {
                Rooms.Add(room);
            }
        });

        // Keep the room order stable (level L uses the first L rooms).
        Rooms.Sort((x, y) => Array.IndexOf(rooms, x.RoomId).CompareTo(Array.IndexOf(rooms, y.RoomId)));
    }

    protected override Task RejoinAsync(Party party, CancellationToken ct) =>
        party.Connection.InvokeAsync<JsonElement>("JoinRoom", party.RoomId.ToString(), ct);

    // S5: a third silo joins; of the two silos holding the rooms' connections (doctors on silo 1, patients on
    // silo 2) the one that hosts more of the room grains is killed, so rooms and connections die together.
    public async Task<string> PrepareFailoverAsync(int rooms, CancellationToken ct)
    {
        var cluster = Cluster;
        if (cluster.Silos.Count < 3)
        {
            await cluster.AddSilo().WaitReadyAsync(TimeSpan.FromSeconds(120));
        }

        using var api = cluster.Api(cluster.Silos.Count - 1);
        var hosted = new int[cluster.Silos.Count];
        await Parallel.ForEachAsync(Rooms.Take(rooms), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (room, _) =>
        {
            var diagnostics = await Retry(() => api.SendAsync<RoomHost>(HttpMethod.Get, $"/api/v1/admin/calls/{room.RoomId}/diagnostics", null, Admin.AccessToken));
            var host = cluster.Silos.FindIndex(s => diagnostics.HostSilo.Contains($":{s.SiloPort}:", StringComparison.Ordinal));
            if (host >= 0)
            {
                Interlocked.Increment(ref hosted[host]);
            }
        });
        var victim = silos > 1 && !KillDoctorsSilo && hosted[1] >= hosted[0] ? 1 : 0;
        _victim = cluster.Silos[victim];
        _victimParties = Rooms.Take(rooms).Select(r => victim == 0 ? r.A : r.B).ToHashSet();
        return $"{cluster.Silos.Count} silos, room grains per silo {string.Join("/", hosted)}; killed: silo {victim + 1} with the {(victim == 0 ? "doctors'" : "patients'")} connections of all {rooms} rooms and {hosted[victim]} of the {rooms} room grains";
    }

    /// <summary>S5 variant: kill the doctors' silo (connections only when the rooms live on the patients' silo).</summary>
    public bool KillDoctorsSilo { get; init; }

    public bool IsOnVictim(Party party) => _victimParties.Contains(party);

    public int VictimPid => (_victim ?? throw new InvalidOperationException("Prepare first.")).ProcessId;

    public void KillVictim() => _victim?.Kill();

    /// <summary>
    /// As the web client after a lost connection: a new connection to a surviving silo, then
    /// <c>ResumeRoom(roomId, lastSeq)</c>, retried while the hub answers that the room is recovering.
    /// </summary>
    public async Task ReconnectAsync(Party party, int index, Action<string, long> mark, CancellationToken ct)
    {
        var survivors = Cluster.Silos.Where(s => s != _victim && !s.HasExited).ToList();
        var user = _users[party.UserId];
        var connection = BenchClient.Build(new Uri(survivors[index % survivors.Count].BaseUrl, "/hubs/consultation"), () => user.AccessToken);
        await SwitchConnectionAsync(party, connection, ct);
        mark("connected", Stopwatch.GetTimestamp());
        while (true)
        {
            try
            {
                var sent = Stopwatch.GetTimestamp();
                await connection.InvokeAsync<JsonElement>("ResumeRoom", party.RoomId.ToString(), party.LastSeq, ct);
                mark("resume sent", sent);
                mark("resume answered", Stopwatch.GetTimestamp());
                return;
            }
            catch (Microsoft.AspNetCore.SignalR.HubException)
            {
                await Task.Delay(200, ct);
            }
        }
    }

    /// <summary>Whether membership declared a running silo dead during the run (the issue's target: never).</summary>
    public string MembershipNote()
    {
        var dead = _cluster?.Silos.Where(s => s.WasDeclaredDeadWhileAlive).Select(s => s.Name).ToList() ?? [];
        return dead.Count == 0
            ? $"{name}: no running silo was declared dead by membership during the run (the silo S5 killed does not count)."
            : $"{name}: membership declared running silo(s) {string.Join(", ", dead)} dead during the run (false positive; see the silo logs).";
    }

    // S2: idle connections on a third silo that joins the cluster for it (S5 then keeps it as the survivor), the
    // setup's users taken in turn (several connections per user, like open tabs).
    public async Task PrepareConnectionTargetAsync(CancellationToken ct)
    {
        if (Cluster.Silos.Count < 3)
        {
            await Cluster.AddSilo().WaitReadyAsync(TimeSpan.FromSeconds(120));
        }
    }

    public Task ReleaseConnectionTargetAsync() => Task.CompletedTask;

    public int TargetPid => Cluster.Silos[^1].ProcessId;

    public string TargetDescription => $"silo {Cluster.Silos.Count} of {Cluster.Silos.Count} (no S1 rooms), {_users.Count} users taken in turn";

    public IReadOnlyList<IdleConnection> IdleConnections()
    {
        var hub = new Uri(Cluster.Silos[^1].BaseUrl, "/hubs/consultation").ToString();
        return Users.Select(u => new IdleConnection(hub, u.AccessToken)).ToList();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_cluster is not null)
        {
            try
            {
                await _cluster.DisposeAsync();
            }
            catch (InvalidOperationException e) when (e.Message.Contains("false positive", StringComparison.Ordinal))
            {
                // Reported through MembershipNote before disposal.
            }
        }
    }

    private sealed record RoomHost(string HostSilo);

    private async Task<Party> ConnectAsync(TestUser user, HubConnection connection, bool listenForCalls, CancellationToken ct)
    {
        var party = new Party(user.Id, connection);
        connection.On<SignalIn>("Signal", e => Sink.OnSignal(party, e));
        if (listenForCalls)
        {
            connection.On<JsonElement>("CallRequested", e =>
            {
                var now = Stopwatch.GetTimestamp();
                var appointmentId = e.GetProperty("appointmentId").GetGuid();
                if (_callRequestedAt.TryAdd(appointmentId, now) && _callRequestedSignal.TryGetValue(appointmentId, out var signal))
                {
                    signal.TrySetResult();
                }
            });
        }

        await connection.StartAsync(ct);
        await connection.InvokeAsync<string>("Ping", ct);
        return party;
    }

    /// <summary>
    /// S3 on a warm cluster: the pairs kept aside at set-up request their calls at the same rate, every call
    /// measured; the patients then cancel them (the doctors never answer). Returns how many of these doctors had to
    /// reconnect first (idle since set-up, a keep-alive can be missed while S1 starves the machine; a browser would
    /// reconnect too, and a ring to a doctor without a connection reaches nobody).
    /// </summary>
    public async Task<int> RequestWarmCallsAsync(CancellationToken ct)
    {
        var reconnected = await RestartClosedAsync(_warmDoctors, then: null, ct);
        var patientApi = Cluster.Api(silos > 1 ? 1 : 0);
        var rooms = await RequestCallsAsync(patientApi, _warmPairs, warmup: 0, WarmCalls, ct);
        await Parallel.ForEachAsync(Enumerable.Range(0, rooms.Length), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, _) =>
            await Retry(() => patientApi.CallActionAsync(_warmPairs[i].Patient, rooms[i], "cancel")));
        return reconnected;
    }

    // Open loop: call i is sent at start + i / rate whatever the earlier ones are doing.
    private async Task<Guid[]> RequestCallsAsync(TelemedicinaApi api, BookedPair[] pairs, int warmup, CallBatch batch, CancellationToken ct)
    {
        var rooms = new Guid[pairs.Length];
        var start = Stopwatch.GetTimestamp();
        var interval = Stopwatch.Frequency / callRate;
        await Task.WhenAll(Enumerable.Range(0, pairs.Length).Select(async i =>
        {
            await DelayUntil(start + (long)(i * interval), ct);
            rooms[i] = await RequestCallAsync(api, pairs[i], i >= warmup ? batch : null, ct);
        }));
        return rooms;
    }

    private async Task<Guid> RequestCallAsync(TelemedicinaApi api, BookedPair pair, CallBatch? batch, CancellationToken ct)
    {
        var appointmentId = pair.Booked.AppointmentId;
        var notified = _callRequestedSignal.GetOrAdd(appointmentId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var sent = Stopwatch.GetTimestamp();
        CallState call;
        try
        {
            call = await api.RequestCallAsync(pair.Patient, appointmentId);
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException)
        {
            batch?.RecordFailure();
            // Not measured; the room is still needed, so ask again.
            call = await Retry(() => api.RequestCallAsync(pair.Patient, appointmentId));
            batch = null;
        }

        var answered = Stopwatch.GetTimestamp();
        batch?.RecordAnswer(sent, answered);
        if (await Task.WhenAny(notified.Task, Task.Delay(TimeSpan.FromSeconds(10), ct)) == notified.Task)
        {
            batch?.RecordNotification(sent, _callRequestedAt[appointmentId]);
        }

        return call.RoomId;
    }

    private async Task<BookedPair> CreatePairAsync(TelemedicinaApi doctorApi, TelemedicinaApi patientApi, int index)
    {
        var tag = $"{index:D5}-{Guid.NewGuid():N}"[..18];
        var doctor = await RegisterAsync(doctorApi, $"bench-medico-{tag}@bench.local", "doctor", $"Dr. Bench {index}");
        await doctorApi.VerifyDoctorAsync(_admin!, doctor.Id);
        // Hour-long slots: the first free one starts within the hour, well inside the 2 h join window.
        await doctorApi.SetAllDayAvailabilityAsync(doctor, slotMinutes: 60);
        var patient = await RegisterAsync(patientApi, $"bench-paciente-{tag}@bench.local", "patient", $"Paciente Bench {index}");
        await patientApi.GrantConsentAsync(patient);
        var booked = await BookSoonAsync(patientApi, patient, doctor);
        _users[doctor.Id] = doctor;
        _users[patient.Id] = patient;
        return new BookedPair(doctor, patient, booked);
    }

    // The first slot that starts at least a minute from now (a slot starting this very second is refused by
    // the time the booking arrives); the next one if that is refused anyway.
    private static async Task<Booked> BookSoonAsync(TelemedicinaApi api, TestUser patient, TestUser doctor)
    {
        var from = DateTimeOffset.UtcNow.AddMinutes(1);
        var slots = await api.SlotsAsync(patient, doctor.Id, from, from.AddHours(3));
        var tries = Math.Min(2, slots.Length);
        for (var i = 0; i < tries; i++)
        {
            try
            {
                return await api.BookAsync(patient, doctor.Id, slots[i].StartsAt);
            }
            catch (ApiException) when (i < tries - 1)
            {
                // Try the next slot.
            }
        }

        throw new InvalidOperationException($"Doctor {doctor.Id} has no bookable slot in the next 3 hours.");
    }

    internal static async Task<TestUser> RegisterAsync(TelemedicinaApi api, string email, string role, string fullName)
    {
        object body = role == "doctor"
            ? new { email, password = Password, fullName, role, crm = TelemedicinaApi.NewCrm(), crmState = "SP", specialty = "Clínica Médica", timeZone = "America/Sao_Paulo" }
            : new { email, password = Password, fullName, role, timeZone = "America/Sao_Paulo" };
        var registered = await api.SendAsync<Registered>(HttpMethod.Post, "/api/v1/identity/register", body, null, HttpStatusCode.Created);
        var user = new TestUser(registered.UserId, email, Password, role, fullName);
        await api.LoginAsync(user);
        return user;
    }

    internal Uri Hub(int silo) => new(_cluster!.Silos[silo].BaseUrl, "/hubs/consultation");

    // Setup calls on a loaded box can time out; a few retries keep the run going (setup is not measured).
    internal static async Task<T> Retry<T>(Func<Task<T>> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (attempt < 3 && e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(500 * attempt);
            }
        }
    }

    internal static async Task DelayUntil(long timestamp, CancellationToken ct)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, ct);
        }
    }
}
