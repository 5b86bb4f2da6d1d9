using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Faults;

/// <summary>
/// Accepted calls whose two parties keep signalling each other through real SignalR connections, each
/// message numbered per sender (1, 2, 3, ...), as a browser's trickled candidates would be. A party
/// whose connection drops (its silo crashed or stopped) reconnects to a silo the test names and
/// resumes the room after the last room sequence number it handled; a send the hub refuses while the
/// room recovers is retried with the same number. The receiver keeps the first arrival of each number,
/// so "nothing lost" is: every number the sender had acknowledged arrived, in order.
/// </summary>
internal sealed class LiveCalls : IAsyncDisposable
{
    private LiveCalls(List<LiveCall> calls) => Calls = calls;

    public List<LiveCall> Calls { get; }

    public IEnumerable<LiveParty> Parties => Calls.SelectMany(c => new[] { c.Doctor, c.Patient });

    /// <summary>
    /// Opens <paramref name="count"/> accepted calls; call <c>i</c> is requested on silo <c>i % n</c> (so the rooms
    /// spread), its doctor connects to <paramref name="doctorSilo"/>(i) and its patient to <paramref name="patientSilo"/>(i).
    /// </summary>
    public static async Task<LiveCalls> OpenAsync(TestCluster cluster, TestUser admin, int count, Func<int, SiloProcess> doctorSilo, Func<int, SiloProcess> patientSilo, Func<SiloProcess> reconnectTo)
    {
        var calls = new LiveCall[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, _) =>
        {
            var silo = cluster.Silos[i % cluster.Silos.Count];
            using var api = new TelemedicinaApi(silo.BaseUrl, cluster.Outbox);
            var (doctor, patient, booked) = await Scenario.BookedPairAsync(api, api, admin);
            var call = await api.RequestCallAsync(patient, booked.AppointmentId);
            await api.CallActionAsync(doctor, call.RoomId, "accept");
            var room = call.RoomId.ToString();
            var d = new LiveParty(doctor, patient.Id, room, reconnectTo);
            var p = new LiveParty(patient, doctor.Id, room, reconnectTo);
            await d.ConnectAsync(doctorSilo(i));
            await p.ConnectAsync(patientSilo(i));
            calls[i] = new LiveCall(call.RoomId, d, p);
        });

        return new LiveCalls([.. calls]);
    }

    /// <summary>Starts every party's sender: one signal every <paramref name="interval"/> (jittered start).</summary>
    public void StartSending(TimeSpan interval)
    {
        foreach (var party in Parties)
        {
            party.StartSending(interval);
        }
    }

    /// <summary>Remembers "now" as the moment of a fault: what each party sends from here on is the post-fault traffic.</summary>
    public void MarkFault(Stopwatch clock)
    {
        _faultAt = Stopwatch.GetTimestamp();
        foreach (var call in Calls)
        {
            call.Doctor.MarkFault(clock, call.Patient);
            call.Patient.MarkFault(clock, call.Doctor);
        }
    }

    /// <summary>Waits until every party has received at least <paramref name="signals"/> signals sent after the fault.</summary>
    public async Task WaitAllFlowingAsync(int signals, TimeSpan timeout)
    {
        var deadline = Deadline.In(timeout);
        while (Parties.Any(p => p.ReceivedAfterFault < signals))
        {
            var failed = Parties.FirstOrDefault(p => p.Failure is not null);
            if (failed is not null)
            {
                throw new InvalidOperationException($"A party gave up: {failed.Failure}");
            }

            if (deadline.Passed)
            {
                var stuck = Parties.Where(p => p.ReceivedAfterFault < signals).ToList();
                throw new TimeoutException($"{stuck.Count} parties did not get {signals} post-fault signals within {timeout}: " +
                    string.Join("; ", stuck.Take(5).Select(p => p.Describe())));
            }

            await Task.Delay(200);
        }
    }

    /// <summary>
    /// From here on every acknowledged signal must arrive (<see cref="StopAndVerifyAsync"/> checks only these); the
    /// ones acknowledged before and lost are counted in <see cref="LostBeforeRecovery"/>. For a fault that lets a room
    /// acknowledge signals it cannot deliver and then takes the room with it (a partitioned silo).
    /// </summary>
    public void MarkRecovered()
    {
        foreach (var party in Parties)
        {
            party.MarkRecovered();
        }
    }

    /// <summary>Signals acknowledged before <see cref="MarkRecovered"/> that never arrived (set by <see cref="StopAndVerifyAsync"/>).</summary>
    public int LostBeforeRecovery { get; private set; }

    /// <summary>
    /// How close to the fault a signal's acknowledgement reached its sender for the signal to count as in flight at a
    /// <c>kill -9</c>. The sender waits for each acknowledgement and sends every 500 ms, so this holds one signal per
    /// sender, and a machine stall delaying the acknowledgement's arrival by up to a second.
    /// </summary>
    public static readonly TimeSpan InFlightWindow = TimeSpan.FromSeconds(1);

    /// <summary>Signals lost in flight at the kill (see <see cref="StopAndVerifyAsync"/>), with their senders' acknowledgement times.</summary>
    public List<string> LostInFlight { get; } = [];

    private long? _faultAt;

    /// <summary>
    /// Stops the senders, lets what is in flight arrive, and checks per pair that nothing acknowledged was lost.
    /// With <paramref name="inFlightAtKill"/>, one signal per sender may be lost if its acknowledgement reached the
    /// sender within <see cref="InFlightWindow"/> of the fault: the window ADR 0005 admits, a signal the killed room
    /// acknowledged and had not yet written to the recipient's socket on the same silo. Any other loss fails.
    /// </summary>
    public async Task StopAndVerifyAsync(TimeSpan drain, bool inFlightAtKill = false)
    {
        await Task.WhenAll(Parties.Select(p => p.StopSendingAsync()));
        var deadline = Deadline.In(drain);
        foreach (var call in Calls)
        {
            foreach (var (sender, receiver) in new[] { (call.Doctor, call.Patient), (call.Patient, call.Doctor) })
            {
                var checkedFrom = sender.CheckedFrom;
                var mustArrive = Enumerable.Range(checkedFrom, Math.Max(0, sender.Acknowledged - checkedFrom + 1));
                while (!mustArrive.All(receiver.HasReceived) && !deadline.Passed)
                {
                    await Task.Delay(100);
                }

                LostBeforeRecovery += Enumerable.Range(1, checkedFrom - 1).Count(i => !receiver.HasReceived(i));
                var missing = mustArrive.Where(i => !receiver.HasReceived(i)).ToList();
                var inFlight = missing.Where(i => inFlightAtKill && AcknowledgedNearFault(sender, i)).ToList();
                if (inFlight.Count == 1 && missing.Count == 1)
                {
                    LostInFlight.Add($"room {call.RoomId}, {sender.User.Role}'s signal {inFlight[0]} acknowledged {AcknowledgedAt(sender, inFlight[0])}");
                    missing.Clear();
                }

                Assert.True(missing.Count == 0,
                    $"Room {call.RoomId}: {missing.Count} of {sender.Acknowledged} signals from {sender.User.Role} lost " +
                    $"(first, with their acknowledgement: {string.Join(", ", missing.Take(10).Select(i => $"{i} {AcknowledgedAt(sender, i)}"))}); receiver: {receiver.Describe()}");
                Assert.True(checkedFrom > 1 || receiver.OutOfOrder == 0, $"Room {call.RoomId}: {receiver.OutOfOrder} signals to {receiver.User.Role} arrived out of order");
            }
        }
    }

    private bool AcknowledgedNearFault(LiveParty sender, int i) =>
        _faultAt is { } fault && sender.AcknowledgedAtTimestamp(i) is { } at
        && (at >= fault ? Stopwatch.GetElapsedTime(fault, at) : Stopwatch.GetElapsedTime(at, fault)) <= InFlightWindow;

    private string AcknowledgedAt(LiveParty sender, int i)
    {
        if (sender.AcknowledgedAtTimestamp(i) is not { } at || _faultAt is not { } fault)
        {
            return "(no fault marked)";
        }

        var ms = at >= fault ? Stopwatch.GetElapsedTime(fault, at).TotalMilliseconds : -Stopwatch.GetElapsedTime(at, fault).TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture, $"{ms:+0;-0} ms from the fault");
    }

    public long Sent => Parties.Sum(p => (long)p.Acknowledged);

    public long Received => Parties.Sum(p => (long)p.Distinct);

    public long Duplicates => Parties.Sum(p => (long)p.Duplicates);

    public long Retries => Parties.Sum(p => (long)p.Retries);

    public List<double> LatenciesMs => [.. Parties.SelectMany(p => p.LatenciesMs)];

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Parties.Select(p => p.DisposeAsync().AsTask()));
    }

    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }
}

internal sealed record LiveCall(Guid RoomId, LiveParty Doctor, LiveParty Patient)
{
    /// <summary>Time from the fault until post-fault signals flowed both ways (null while they do not).</summary>
    public TimeSpan? ResumedAfter =>
        Doctor.FirstAfterFault is { } a && Patient.FirstAfterFault is { } b ? (a > b ? a : b) : null;

    /// <summary>One of the parties had to reconnect (its silo went away).</summary>
    public bool Reconnected => Doctor.Reconnects > 0 || Patient.Reconnects > 0;
}

/// <summary>One side of a live call: its user, its current hub connection, what it sent and received.</summary>
internal sealed class LiveParty(TestUser user, Guid counterpartId, string room, Func<SiloProcess> reconnectTo) : IAsyncDisposable
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(90);

    private readonly Lock _gate = new();
    private readonly HashSet<int> _seen = [];
    private readonly List<long> _acknowledgedAt = [];
    private readonly List<double> _latencies = [];
    private readonly CancellationTokenSource _stop = new();
    private HubClient? _hub;
    private Task _sender = Task.CompletedTask;
    private Task? _reconnecting;
    private long _lastSeq;
    private int _highestFirst;
    private int _acknowledged;
    private int _attempting;
    private bool _disposed;
    private Stopwatch? _faultClock;
    private int _firstIndexAfterFault = int.MaxValue;

    public TestUser User { get; } = user;

    public SiloProcess? Silo { get; private set; }

    public int Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>The first number of this party's that must reach the counterpart (1 unless <see cref="MarkRecovered"/>).</summary>
    public int CheckedFrom { get; private set; } = 1;

    public void MarkRecovered() => CheckedFrom = Acknowledged + 1;

    public int Distinct
    {
        get
        {
            lock (_gate)
            {
                return _seen.Count;
            }
        }
    }

    public int HighestContiguous
    {
        get
        {
            lock (_gate)
            {
                var i = 0;
                while (_seen.Contains(i + 1))
                {
                    i++;
                }

                return i;
            }
        }
    }

    public int Duplicates { get; private set; }

    public int OutOfOrder { get; private set; }

    public int Retries;

    public int Reconnects { get; private set; }

    public int ReceivedAfterFault { get; private set; }

    public TimeSpan? FirstAfterFault { get; private set; }

    /// <summary>Time from the fault until this party had resumed the room on another silo.</summary>
    public TimeSpan? ResumedAfter { get; private set; }

    public string? Failure { get; private set; }

    /// <summary>When (<see cref="Stopwatch.GetTimestamp"/>) this party's signal <paramref name="i"/> was acknowledged.</summary>
    public long? AcknowledgedAtTimestamp(int i)
    {
        lock (_gate)
        {
            return i >= 1 && i <= _acknowledgedAt.Count ? _acknowledgedAt[i - 1] : null;
        }
    }

    public bool HasReceived(int i)
    {
        lock (_gate)
        {
            return _seen.Contains(i);
        }
    }

    public string Describe() =>
        $"{User.Role} {User.Id} on {Silo?.Name}: sent {Acknowledged}, received {Distinct} (contiguous {HighestContiguous}, dup {Duplicates}), lastSeq {Interlocked.Read(ref _lastSeq)}, reconnects {Reconnects}, retries {Retries}";

    public async Task ConnectAsync(SiloProcess silo)
    {
        var hub = await HubClient.ConnectAsync(silo.BaseUrl, () => User.AccessToken);
        // Same parameter type as HubClient's own handler: the client binds arguments with the first handler's types.
        hub.Connection.On<JsonElement>("Signal", e => OnSignal(e.Deserialize<SignalMessage>(ApiJson.Options)!));
        long after = Interlocked.Read(ref _lastSeq);
        var first = _hub is null;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (first)
                {
                    await hub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room);
                }
                else
                {
                    await hub.Connection.InvokeAsync<JoinRoomResult>("ResumeRoom", room, after);
                }

                break;
            }
            catch (HubException) when (clock.Elapsed < GiveUpAfter)
            {
                // "A sala está se recuperando": the room's silo has not been declared dead yet.
                Interlocked.Increment(ref Retries);
                await Task.Delay(200);
            }
        }

        hub.Connection.Closed += OnClosed;
        Silo = silo;
        var previous = Interlocked.Exchange(ref _hub, hub);
        if (previous is not null)
        {
            previous.Connection.Closed -= OnClosed;
            await previous.DisposeAsync();
        }
    }

    public void StartSending(TimeSpan interval) => _sender = Task.Run(() => SendLoopAsync(interval));

    public void MarkFault(Stopwatch clock, LiveParty counterpart)
    {
        _faultClock = clock;

        // The first number the counterpart had not finished sending at the fault: anything from it on is post-fault.
        _firstIndexAfterFault = Volatile.Read(ref counterpart._attempting) + 1;
    }

    public async Task StopSendingAsync()
    {
        await _stop.CancelAsync();
        await _sender;
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await StopSendingAsync();
        if (_reconnecting is not null)
        {
            await _reconnecting;
        }

        if (_hub is not null)
        {
            _hub.Connection.Closed -= OnClosed;
            await _hub.DisposeAsync();
        }

        _stop.Dispose();
    }

    /// <summary>A trickled ICE candidate carrying its number and when it was first sent (for the one-way latency).</summary>
    public static string Candidate(int i, long sentTicks) =>
        $"{{\"candidate\":\"candidate:{i} 1 udp 2122260223 127.0.0.1 {40000 + (i % 20000)} typ host\",\"i\":{i},\"t\":{sentTicks}}}";

    /// <summary>Sent-to-first-received times of this party's incoming signals, in milliseconds.</summary>
    public List<double> LatenciesMs
    {
        get
        {
            lock (_gate)
            {
                return [.. _latencies];
            }
        }
    }

    private void OnSignal(SignalMessage message)
    {
        using var json = JsonDocument.Parse(message.Payload);
        var i = json.RootElement.GetProperty("i").GetInt32();
        var latency = Stopwatch.GetElapsedTime(json.RootElement.GetProperty("t").GetInt64()).TotalMilliseconds;
        lock (_gate)
        {
            if (message.Seq > _lastSeq)
            {
                _lastSeq = message.Seq;
            }

            if (!_seen.Add(i))
            {
                Duplicates++;
                return;
            }

            if (i < _highestFirst)
            {
                OutOfOrder++;
            }

            _highestFirst = Math.Max(_highestFirst, i);
            _latencies.Add(latency);
            if (_faultClock is not null && i >= _firstIndexAfterFault)
            {
                ReceivedAfterFault++;
                FirstAfterFault ??= _faultClock.Elapsed;
            }
        }
    }

    private Task OnClosed(Exception? error)
    {
        if (!_disposed)
        {
            _reconnecting = Task.Run(ReconnectAsync);
        }

        return Task.CompletedTask;
    }

    private async Task ReconnectAsync()
    {
        var clock = Stopwatch.StartNew();
        while (!_disposed)
        {
            var target = reconnectTo();
            try
            {
                await ConnectAsync(target);
                Reconnects++;
                ResumedAfter ??= _faultClock?.Elapsed;
                return;
            }
            catch (Exception e) when (clock.Elapsed < GiveUpAfter && e is HttpRequestException or IOException or InvalidOperationException or TimeoutException or HubException or TaskCanceledException or System.Net.WebSockets.WebSocketException)
            {
                await Task.Delay(250);
            }
            catch (Exception e)
            {
                Failure = $"{User.Role} {User.Id} could not reconnect to {target.Name}: {e.GetType().Name}: {e.Message}";
                return;
            }
        }
    }

    private async Task SendLoopAsync(TimeSpan interval)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next((int)interval.TotalMilliseconds + 1)));
        while (!_stop.IsCancellationRequested)
        {
            var i = Acknowledged + 1;
            Volatile.Write(ref _attempting, i);
            if (!await SendAsync(i))
            {
                return;
            }

            lock (_gate)
            {
                _acknowledgedAt.Add(Stopwatch.GetTimestamp());
            }

            Volatile.Write(ref _acknowledged, i);
            try
            {
                await Task.Delay(interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> SendAsync(int i)
    {
        var clock = Stopwatch.StartNew();
        var payload = Candidate(i, Stopwatch.GetTimestamp());
        while (true)
        {
            var hub = Volatile.Read(ref _hub)!;
            try
            {
                await hub.Connection.InvokeAsync("Signal", room, counterpartId.ToString(), "candidate", payload);
                return true;
            }
            catch (Exception e) when (e is HubException or InvalidOperationException or IOException or TaskCanceledException or System.Net.WebSockets.WebSocketException)
            {
                // Refused while the room recovers, or the connection is gone and a new one is on its way.
                Interlocked.Increment(ref Retries);
                if (_stop.IsCancellationRequested)
                {
                    // Stopping: this number was never acknowledged, so nobody expects it.
                    return false;
                }

                if (clock.Elapsed > GiveUpAfter)
                {
                    Failure = $"{User.Role} {User.Id} could not send signal {i} for {GiveUpAfter}: {e.GetType().Name}: {e.Message}";
                    return false;
                }
            }

            await Task.Delay(200);
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{User.Role}:{User.Id}");
}
