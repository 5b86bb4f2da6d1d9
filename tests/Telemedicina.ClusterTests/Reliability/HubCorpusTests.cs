using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Reliability;

/// <summary>
/// The hub bad-input corpus (issue 9) against the real hub of a 2-silo cluster: every generated
/// case (wrong types and counts, nulls, invalid ids, huge and deeply nested values, unknown methods,
/// malformed frames, out-of-order joins, bad credentials) is refused with a hub error or a closed
/// connection, floods cost the abuser its connection, no answer leaks internals, no silo logs an
/// unhandled error, and afterwards two fresh parties still hold a normal call. The hand-written
/// regression cases from a live call stay in <c>Calls/HubBadInputTests</c>.
/// </summary>
[Collection(ReliabilityGroup.Name)]
public sealed class HubCorpusTests(ReliabilityCluster fixture)
{
    [Fact]
    public async Task HubCorpus_WhenEveryBadInputIsSent_EachIsRefusedOrDisconnected_AndTheClusterStillCarriesACall()
    {
        var ct = TestContext.Current.CancellationToken;
        var marks = fixture.LogMarks();
        var clock = Stopwatch.StartNew();
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);

        // Arrange: calls in every state the out-of-order cases need, parties spread over both silos.
        var liveTask = AcceptedCallAsync(silo2, silo1);
        var strangerTask = AcceptedCallAsync(silo1, silo2);
        var ringingTask = RingingCallAsync(silo1, silo2);
        var endedTask = AcceptedCallAsync(silo2, silo1);
        var (live, liveRoom) = await liveTask;
        var (stranger, strangerRoom) = await strangerTask;
        var (ringing, ringingRoom) = await ringingTask;
        var (ended, endedRoom) = await endedTask;

        await using var doctorHub = await HubClient.ConnectAsync(silo2.BaseUrl, () => live.Doctor.AccessToken);
        await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", liveRoom.ToString(), ct);
        var tally = new HubTally();

        // Meanwhile: a connection stalled by a message of an unknown type must be dropped by the server (client timeout).
        var stalled = StalledConnectionIsDroppedAsync(silo1.BaseUrl, live.Patient, ct);

        // Act 1: out-of-order calls (first, while every call is in the state it was made for), each on a fresh connection of the party concerned.
        var refused = new[] { HubOutcome.Refused };
        var noOp = new[] { HubOutcome.Refused, HubOutcome.Completed };
        var live1 = silo1.BaseUrl;
        var order = new List<(string Name, Uri Silo, TestUser User, string Target, string Arguments, HubOutcome[] Allowed)>
        {
            ("signal before join", live1, live.Patient, "Signal", $"[{Q(liveRoom)},{Q(live.Doctor.Id)},\"candidate\",\"{{}}\"]", refused),
            ("chat before join", live1, live.Patient, "Chat", $"[{Q(liveRoom)},\"oi\"]", refused),
            ("leave before join", live1, live.Patient, "LeaveRoom", $"[{Q(liveRoom)}]", noOp),
            ("join a room not yours (patient)", live1, live.Patient, "JoinRoom", $"[{Q(strangerRoom)}]", refused),
            ("resume a room not yours (patient)", live1, live.Patient, "ResumeRoom", $"[{Q(strangerRoom)},0]", refused),
            ("join a room not yours (doctor)", silo2.BaseUrl, live.Doctor, "JoinRoom", $"[{Q(strangerRoom)}]", refused),
            ("resume a room not yours (doctor)", silo2.BaseUrl, live.Doctor, "ResumeRoom", $"[{Q(strangerRoom)},3]", refused),
            ("signal into a room not yours", live1, live.Patient, "Signal", $"[{Q(strangerRoom)},{Q(stranger.Doctor.Id)},\"candidate\",\"{{}}\"]", refused),
            ("chat into a room not yours", live1, live.Patient, "Chat", $"[{Q(strangerRoom)},\"oi\"]", refused),
            ("join before accept (patient)", live1, ringing.Patient, "JoinRoom", $"[{Q(ringingRoom)}]", refused),
            ("join before accept (doctor)", silo2.BaseUrl, ringing.Doctor, "JoinRoom", $"[{Q(ringingRoom)}]", refused),
            ("resume before accept (patient)", live1, ringing.Patient, "ResumeRoom", $"[{Q(ringingRoom)},0]", refused),
            ("signal before accept", live1, ringing.Patient, "Signal", $"[{Q(ringingRoom)},{Q(ringing.Doctor.Id)},\"offer\",\"v=0\"]", refused),
            ("join an appointment id as a room", live1, live.Patient, "JoinRoom", $"[{Q(live.Booked.AppointmentId)}]", refused),
            ("join a user id as a room", live1, live.Patient, "JoinRoom", $"[{Q(live.Doctor.Id)}]", refused),
        };
        foreach (var step in order)
        {
            await using var connection = await RawHubConnection.ConnectAsync(step.Silo, step.User.AccessToken, ct);
            tally.Check("out of order", step.Name, step.Allowed, await connection.InvokeAsync(step.Target, step.Arguments, ct), step.Target);
        }

        // After end: a party joined while the call was live, then the call ends under it.
        await using (var endedPatient = await RawHubConnection.ConnectAsync(silo1.BaseUrl, ended.Patient.AccessToken, ct))
        {
            var joined = await endedPatient.InvokeAsync("JoinRoom", $"[{Q(endedRoom)}]", ct);
            Assert.True(joined.Outcome == HubOutcome.Completed, $"The patient could not join its accepted call: {joined}");
            Assert.Equal("ended", (await silo2.CallActionAsync(ended.Doctor, endedRoom, "end")).Status);
            var afterEnd = new (string Name, string Target, string Arguments, HubOutcome[] Allowed)[]
            {
                ("signal after end", "Signal", $"[{Q(endedRoom)},{Q(ended.Doctor.Id)},\"candidate\",\"{{}}\"]", refused),
                ("chat after end", "Chat", $"[{Q(endedRoom)},\"oi\"]", refused),
                ("join after end", "JoinRoom", $"[{Q(endedRoom)}]", refused),
                ("resume after end", "ResumeRoom", $"[{Q(endedRoom)},0]", refused),
                ("leave after end", "LeaveRoom", $"[{Q(endedRoom)}]", noOp),
                ("join after leave after end", "JoinRoom", $"[{Q(endedRoom)}]", refused),
            };
            foreach (var step in afterEnd)
            {
                tally.Check("out of order", step.Name, step.Allowed, await endedPatient.InvokeAsync(step.Target, step.Arguments, ct), step.Target);
            }
        }

        await using (var endedDoctor = await RawHubConnection.ConnectAsync(silo2.BaseUrl, ended.Doctor.AccessToken, ct))
        {
            tally.Check("out of order", "join after end (doctor)", refused, await endedDoctor.InvokeAsync("JoinRoom", $"[{Q(endedRoom)}]", ct), "JoinRoom");
        }

        // Act 2: connections without a valid credential never reach the hub.
        var badTokens = new (string Name, string? Token)[]
        {
            ("no token", null), ("empty token", ""), ("garbage token", "garbage"), ("refresh token as access token", live.Patient.RefreshToken),
            ("truncated token", live.Patient.AccessToken[..^10]), ("tampered subject", Jwt.Tamper(live.Patient.AccessToken, "sub", stranger.Patient.Id.ToString())),
            ("alg none token", Jwt.AlgNone(live.Patient.AccessToken)), ("huge token", new string('a', 16_000)),
        };
        foreach (var (name, token) in badTokens)
        {
            var failure = await Record.ExceptionAsync(async () => await (await RawHubConnection.ConnectAsync(live1, token, ct)).DisposeAsync());
            tally.Count("credentials", name, failure is WebSocketException or InvalidOperationException ? HubOutcome.Closed : HubOutcome.Completed,
                failure is null ? $"{name}: connected without a valid token" : null);
        }

        // Act 3: the generated corpus, from the live call's patient on the other silo.
        var corpus = HubCorpus.Build();
        if (ReliabilityCluster.Heavy)
        {
            corpus.AddRange(HubCorpus.Random(5000, seed: 20261201));
        }

        var targets = new HubTargets(liveRoom, live.Patient.Id, live.Doctor.Id);
        await using (var attacker = new Attacker(silo1.BaseUrl, live.Patient, liveRoom))
        {
            foreach (var hubCase in corpus)
            {
                var connection = await attacker.ReadyAsync(ct);
                var answer = hubCase switch
                {
                    { Frame: { } frame, ExpectsNoCompletion: true } => await connection.SendAndProbeAsync(frame(""), ct),
                    { Frame: { } frame } => await connection.InvokeFrameAsync(frame, ct, appendSeparator: false, wait: hubCase.Allowed.Contains(HubOutcome.Hung) ? TimeSpan.FromSeconds(2) : null),
                    _ => await connection.InvokeAsync(hubCase.Target!, hubCase.Arguments!(targets), ct),
                };
                tally.Check("corpus", hubCase.Name, hubCase.Allowed, answer, hubCase.Target);
                attacker.Saw(answer);
            }
        }

        // Nothing of the above reached the doctor.
        Assert.Equal(0, doctorHub.Pending("Signal"));
        Assert.Equal(0, doctorHub.Pending("Chat"));

        // Act 4: floods. Each is sent without waiting, as fast as the socket takes it.
        var floods = new List<string>();
        var signalFrame = RawHubConnection.InvocationFrame(null, "Signal", $"[{Q(liveRoom)},{Q(live.Doctor.Id)},\"candidate\",\"{{\\\"candidate\\\":\\\"flood\\\"}}\"]");
        floods.Add(await FloodAsync(tally, silo1.BaseUrl, live.Patient, liveRoom, "valid signals", _ => signalFrame, 5000, mustDisconnect: true, ct));
        floods.Add(await FloodAsync(tally, silo1.BaseUrl, live.Patient, liveRoom, "valid chat lines", _ => RawHubConnection.InvocationFrame(null, "Chat", $"[{Q(liveRoom)},\"flood\"]"), 5000, mustDisconnect: true, ct));
        floods.Add(await FloodAsync(tally, silo1.BaseUrl, live.Patient, liveRoom, "refused signals", _ => RawHubConnection.InvocationFrame(null, "Signal", $"[{Q(liveRoom)},{Q(live.Doctor.Id)},\"bogus\",\"x\"]"), 5000, mustDisconnect: true, ct));
        floods.Add(await FloodAsync(tally, silo1.BaseUrl, live.Patient, liveRoom, "joins of unknown rooms", _ => RawHubConnection.InvocationFrame(null, "JoinRoom", $"[{Q(Guid.NewGuid())}]"), 5000, mustDisconnect: true, ct));
        floods.Add(await FloodAsync(tally, silo1.BaseUrl, live.Patient, liveRoom, "resumes of unknown rooms", _ => RawHubConnection.InvocationFrame(null, "ResumeRoom", $"[{Q(Guid.NewGuid())},0]"), 5000, mustDisconnect: true, ct));
        floods.Add(await FloodAsync(tally, silo1.BaseUrl, live.Patient, liveRoom, "invalid room ids", i => RawHubConnection.InvocationFrame(null, "JoinRoom", $"[\"x{i}\"]"), 5000, mustDisconnect: true, ct));
        floods.Add(await FloodAsync(tally, silo1.BaseUrl, live.Patient, liveRoom, "unknown methods", _ => RawHubConnection.InvocationFrame(null, "Broadcast", "[1]"), 5000, mustDisconnect: false, ct));

        // Reported, not asserted: SignalR keeps such a connection like any idle one (it costs what an idle client costs).
        var stallDropped = await stalled;
        floods.Add(stallDropped is { } after
            ? $"stalled by an unknown message type: dropped by the server after {after.TotalSeconds:0} s"
            : "stalled by an unknown message type: still open after 40 s (kept like an idle connection)");

        // Assert: every answer was a clean refusal.
        Assert.True(tally.Failures.Count == 0, $"{tally.Failures.Count} of {tally.Total} hub cases misbehaved:\n{string.Join('\n', tally.Failures.Take(40))}");

        // The silos are healthy and logged no unhandled error.
        await fixture.AssertAllReadyAsync();
        var errors = fixture.ErrorsSince(marks).Where(e => !IsClientProtocolError(e)).ToList();
        Assert.True(errors.Count == 0, $"The silos logged {errors.Count} error(s) during the corpus:\n{string.Join('\n', errors.Take(20))}");

        // A normal call between two fresh parties, each on a different silo.
        var (fresh, freshRoom) = await AcceptedCallAsync(silo2, silo1);
        await using var freshDoctor = await HubClient.ConnectAsync(silo2.BaseUrl, () => fresh.Doctor.AccessToken);
        await using var freshPatient = await HubClient.ConnectAsync(silo1.BaseUrl, () => fresh.Patient.AccessToken);
        await freshDoctor.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", freshRoom.ToString(), ct);
        await freshPatient.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", freshRoom.ToString(), ct);
        await freshPatient.Connection.InvokeAsync("Signal", freshRoom.ToString(), fresh.Doctor.Id.ToString(), "offer", "v=0\r\no=- 1 1 IN IP4 127.0.0.1", ct);
        Assert.Equal("offer", (await freshDoctor.NextAsync<SignalMessage>("Signal")).Kind);
        await freshDoctor.Connection.InvokeAsync("Signal", freshRoom.ToString(), fresh.Patient.Id.ToString(), "answer", "v=0", ct);
        Assert.Equal("answer", (await freshPatient.NextAsync<SignalMessage>("Signal")).Kind);
        await freshDoctor.Connection.InvokeAsync("Chat", freshRoom.ToString(), "Bom dia!", ct);
        Assert.Equal("ended", (await silo1.CallActionAsync(fresh.Patient, freshRoom, "end")).Status);

        Figures.Report($"Hub bad-input corpus: {tally.Total} cases ({tally.Summary()}), 0 misbehaved, {clock.Elapsed.TotalSeconds:0} s; floods: {string.Join("; ", floods)}");
    }

    private static string Q(Guid id) => HubCorpus.Quote(id);

    /// <summary>How long the server takes to drop a connection that sent a message of an unknown type and then nothing; null if not within 40 s.</summary>
    private static async Task<TimeSpan?> StalledConnectionIsDroppedAsync(Uri silo, TestUser user, CancellationToken ct)
    {
        await using var connection = await RawHubConnection.ConnectAsync(silo, user.AccessToken, ct);
        var clock = Stopwatch.StartNew();
        await connection.SendOnlyAsync("{\"type\":99}\u001e", ct);
        var closed = await Task.WhenAny(connection.Closed, Task.Delay(TimeSpan.FromSeconds(40), ct)) == connection.Closed;
        return closed ? clock.Elapsed : null;
    }

    /// <summary>
    /// SignalR logs every unparsable frame at Error, with the stack, on the server only; the client loses its
    /// connection. A refusal (a HubException thrown on purpose) is not an error and is not logged at all (it was, with
    /// its stack, once per refused frame); anything else is a bug.
    /// </summary>
    private static bool IsClientProtocolError(string entry) =>
        entry.Contains("Microsoft.AspNetCore.SignalR.HubConnectionHandler: Error when processing requests.", StringComparison.Ordinal);

    /// <summary>Sends <paramref name="count"/> frames as fast as possible; reports when (and whether) the server disconnected.</summary>
    private static async Task<string> FloodAsync(
        HubTally tally, Uri silo, TestUser user, Guid room, string name, Func<int, string> frame, int count, bool mustDisconnect, CancellationToken ct)
    {
        await using var connection = await RawHubConnection.ConnectAsync(silo, user.AccessToken, ct);
        Assert.Equal(HubOutcome.Completed, (await connection.InvokeAsync("JoinRoom", $"[{Q(room)}]", ct)).Outcome);
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (sent < count && await connection.SendOnlyAsync(frame(sent), ct))
        {
            sent++;
        }

        var closed = await Task.WhenAny(connection.Closed, Task.Delay(TimeSpan.FromSeconds(mustDisconnect ? 30 : 3), ct)) == connection.Closed;
        var elapsed = clock.Elapsed;
        var alive = !closed && (await connection.InvokeAsync("Ping", "[]", ct)).Outcome == HubOutcome.Completed;
        var reason = closed ? connection.Closed.Result : null;
        tally.Count("flood", name, closed ? HubOutcome.Closed : HubOutcome.Ignored,
            mustDisconnect && !closed ? $"flood of {name}: {sent} frames sent and the connection was not dropped" : Leaks.Find(reason, hub: true));
        return closed
            ? $"{name}: disconnected after {sent} frames in {elapsed.TotalMilliseconds:0} ms"
            : $"{name}: {sent} frames dropped, connection kept{(alive ? " (still answers)" : "")}";
    }

    private async Task<(BookedPair Pair, Guid Room)> AcceptedCallAsync(TelemedicinaApi doctorApi, TelemedicinaApi patientApi)
    {
        var (pair, room) = await RingingCallAsync(doctorApi, patientApi);
        await doctorApi.CallActionAsync(pair.Doctor, room, "accept");
        return (pair, room);
    }

    private async Task<(BookedPair Pair, Guid Room)> RingingCallAsync(TelemedicinaApi doctorApi, TelemedicinaApi patientApi)
    {
        var pair = await Scenario.BookedPairAsync(doctorApi, patientApi, fixture.Admin);
        var call = await patientApi.RequestCallAsync(pair.Patient, pair.Booked.AppointmentId);
        return (pair, call.RoomId);
    }

    /// <summary>The attacker's connection: rejoined when the server closed it or after many refusals (the abuse limit drops it).</summary>
    private sealed class Attacker(Uri silo, TestUser user, Guid room) : IAsyncDisposable
    {
        private RawHubConnection? _connection;
        private int _refused;
        private bool _hung;

        public async Task<RawHubConnection> ReadyAsync(CancellationToken ct)
        {
            if (_connection is { IsClosed: false } && _refused < 50 && !_hung)
            {
                return _connection;
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }

            _connection = await RawHubConnection.ConnectAsync(silo, user.AccessToken, ct);
            _refused = 0;
            _hung = false;
            var join = await _connection.InvokeAsync("JoinRoom", $"[{Q(room)}]", ct);
            Assert.True(join.Outcome == HubOutcome.Completed, $"The attacker could not re-join its own room: {join}");
            return _connection;
        }

        public void Saw(HubAnswer answer)
        {
            _refused += answer.Outcome == HubOutcome.Refused ? 1 : 0;
            _hung |= answer.Outcome == HubOutcome.Hung;
        }

        public async ValueTask DisposeAsync()
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
    }
}

/// <summary>Counts hub answers by outcome and collects every answer that was not a clean refusal.</summary>
internal sealed class HubTally
{
    private readonly Dictionary<HubOutcome, int> _outcomes = [];

    public List<string> Failures { get; } = [];

    public int Total { get; private set; }

    public void Check(string group, string name, HubOutcome[] allowed, HubAnswer answer, string? target)
    {
        string? failure = null;
        var text = answer.Text ?? "";
        var scanned = string.IsNullOrEmpty(target) ? text : text.Replace(target, "", StringComparison.Ordinal);
        if (!allowed.Contains(answer.Outcome))
        {
            failure = $"expected {string.Join(" or ", allowed)}, got {answer.Outcome} {Short(text)}";
        }
        else if (answer.Outcome == HubOutcome.Refused && text.StartsWith("An unexpected error occurred", StringComparison.Ordinal) && !text.Contains("HubException:", StringComparison.Ordinal))
        {
            failure = "an unhandled server exception: " + Short(text);
        }
        else if (Leaks.Find(scanned, hub: true) is { } leak)
        {
            failure = "leak: " + leak + " in " + Short(text);
        }

        Count(group, name, answer.Outcome, failure is null ? null : $"[{group}] {name}: {failure}");
    }

    public void Count(string group, string name, HubOutcome outcome, string? failure)
    {
        Total++;
        _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        if (failure is not null)
        {
            Failures.Add(failure.StartsWith('[') ? failure : $"[{group}] {name}: {failure}");
        }
    }

    public string Summary() =>
        string.Join(", ", _outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Value.ToString(CultureInfo.InvariantCulture)} {Describe(o.Key)}"));

    private static string Describe(HubOutcome outcome) => outcome switch
    {
        HubOutcome.Refused => "refused with a hub error",
        HubOutcome.Closed => "disconnected",
        HubOutcome.Ignored => "dropped without an answer",
        HubOutcome.Hung => "stalled (SignalR waits for more input after an unknown message type)",
        _ => "completed as a no-op",
    };

    private static string Short(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
