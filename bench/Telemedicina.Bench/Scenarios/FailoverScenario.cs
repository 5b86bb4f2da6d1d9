using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Bench.Measurement;
using Telemedicina.Bench.Reporting;
using Telemedicina.Bench.Systems;

namespace Telemedicina.Bench.Scenarios;

/// <summary>Settings of S5.</summary>
internal sealed record FailoverLoad(int Rooms, double RatePerParty, TimeSpan Before, TimeSpan After, TimeSpan GiveUp);

/// <summary>
/// S5: both parties of <see cref="FailoverLoad.Rooms"/> rooms signal each other at a steady rate; one node is
/// killed with SIGKILL mid-traffic. Each party sends its numbered messages one at a time and, like the product's
/// web client, retries a message the hub refused or could not take (its connection is gone) until it is
/// acknowledged; a party whose connection died reconnects to a survivor (ours: and resumes the room after the
/// last sequence number it handled). Measured: per affected room the time from the kill until a message sent
/// after the kill arrives in both directions, and acknowledged messages that never arrived.
/// </summary>
internal static class FailoverScenario
{
    public static async Task<ResultRow> RunAsync(SystemUnderTest system, FailoverLoad load, CancellationToken ct)
    {
        var target = (IFailoverSystem)system;
        var rooms = system.Rooms.Take(load.Rooms).ToList();
        await system.EnsureConnectedAsync(rooms.Count, ct);
        var setting = await target.PrepareFailoverAsync(rooms.Count, ct);
        var victimPid = target.VictimPid;

        // One ledger per direction, keyed by the receiving party.
        var inbound = new Dictionary<Party, DirectionLedger>();
        foreach (var room in rooms)
        {
            inbound[room.A] = new DirectionLedger();
            inbound[room.B] = new DirectionLedger();
        }

        system.Sink.Current = (receiver, payload) =>
        {
            if (inbound.TryGetValue(receiver, out var ledger) && Payload.TryRead(payload, out _, out var number))
            {
                ledger.Received(number, Stopwatch.GetTimestamp());
            }
        };

        var parties = rooms.SelectMany(r => new[] { (Party: r.A, To: inbound[r.B]), (Party: r.B, To: inbound[r.A]) }).ToList();
        var resumedAt = new Dictionary<Guid, long>();
        var dropped = new LatencyRecorder();
        var reconnectPhases = new System.Collections.Concurrent.ConcurrentDictionary<string, LatencyRecorder>();
        LatencyRecorder Phase(string name) => reconnectPhases.GetOrAdd(name, _ => new LatencyRecorder());
        long retries = 0, reconnectFailures = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var killed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var interval = TimeSpan.FromSeconds(1 / load.RatePerParty);
        var random = new Random(5);
        var phases = parties.Select(_ => TimeSpan.FromMilliseconds(random.NextDouble() * interval.TotalMilliseconds)).ToList();

        var senders = parties.Select((p, i) => Task.Run(async () =>
        {
            var (party, to) = p;
            await Task.Delay(phases[i], stop.Token);
            while (!stop.IsCancellationRequested)
            {
                var number = ++party.LastSent;
                var first = Stopwatch.GetTimestamp();
                var payload = Payload.Create(first, number, 1024);
                while (true)
                {
                    try
                    {
                        await party.Connection.InvokeAsync("Signal", party.RoomId.ToString(), party.CounterpartId.ToString(), "offer", payload, stop.Token);
                        to.Acked(number, first);
                        break;
                    }
                    catch (Exception e) when (e is not OutOfMemoryException && !stop.IsCancellationRequested)
                    {
                        // Refused while the room recovers, or no connection (yet): as the web client, try again shortly.
                        Interlocked.Increment(ref retries);
                        await Task.Delay(200, stop.Token);
                    }
                }

                await Task.Delay(interval, stop.Token);
            }
        }, stop.Token)).ToList();

        // Victim parties: wait for their connection to drop after the kill, then reconnect (and resume).
        var victims = rooms.SelectMany(r => new[] { r.A, r.B }).Where(target.IsOnVictim).ToList();
        var reconnectors = victims.Select((party, i) => Task.Run(async () =>
        {
            var killAt = await killed.Task;
            while (party.Connection.State != HubConnectionState.Disconnected && Stopwatch.GetElapsedTime(killAt) < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50, stop.Token);
            }

            dropped.RecordTicks(killAt, Stopwatch.GetTimestamp());

            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await target.ReconnectAsync(party, i, (phase, at) => Phase(phase).RecordTicks(killAt, at), stop.Token);
                    lock (resumedAt)
                    {
                        resumedAt[party.RoomId] = Stopwatch.GetTimestamp();
                    }

                    return;
                }
                catch (Exception e) when (e is not OutOfMemoryException && !stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref reconnectFailures);
                    await Task.Delay(200, stop.Token);
                }
            }
        }, stop.Token)).ToList();

        await Task.Delay(load.Before, ct);

        // Times count from the SIGKILL; "sent after the kill" means numbered after the process was gone (on a loaded
        // box the kill takes a moment to complete and signals still flow meanwhile: those count as in flight).
        var kill = Stopwatch.GetTimestamp();
        var killClock = DateTimeOffset.UtcNow;
        target.KillVictim();
        foreach (var (party, to) in parties)
        {
            to.Kill(party.LastSent);
        }

        var killTook = Stopwatch.GetElapsedTime(kill);
        killed.SetResult(kill);

        // Until every room relays again (or the give-up time), then some more traffic after it.
        var giveUp = kill + (long)(load.GiveUp.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < giveUp && rooms.Any(r => DirectionLedger.RelaysAgainAt(inbound[r.B], inbound[r.A]) is null))
        {
            await Task.Delay(100, ct);
        }

        await Task.Delay(load.After, ct);
        await stop.CancelAsync();
        await Task.WhenAll(senders.Concat(reconnectors).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        // Drain: whatever was acknowledged gets up to 10 s to arrive.
        var drainUntil = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while (inbound.Values.Sum(l => l.Missing()) > 0 && Stopwatch.GetTimestamp() < drainUntil)
        {
            await Task.Delay(100, ct);
        }

        system.Sink.Current = null;
        var recovery = new LatencyRecorder();
        var notRecovered = 0;
        var examples = new List<string>();
        long lostAfterKill = 0, lostAfterResume = 0;
        foreach (var room in rooms)
        {
            if (DirectionLedger.RelaysAgainAt(inbound[room.B], inbound[room.A]) is { } at)
            {
                recovery.RecordTicks(kill, at);
            }
            else
            {
                notRecovered++;
            }

            // A room without a victim party resumed at the kill (nothing to resume).
            var resumed = resumedAt.GetValueOrDefault(room.RoomId, kill);
            foreach (var (ledger, direction) in new[] { (inbound[room.A], "to A"), (inbound[room.B], "to B") })
            {
                var (afterKill, afterResume) = ledger.Lost(resumed);
                lostAfterKill += afterKill;
                lostAfterResume += afterResume;
                foreach (var (number, sentAt) in ledger.LostAfterKill().Take(Math.Max(0, 5 - examples.Count)))
                {
                    examples.Add(string.Create(CultureInfo.InvariantCulture,
                        $"#{number} {direction} of room {room.RoomId.ToString()[..8]} sent {Seconds(kill, sentAt):0.00} s after the kill (resumed {Seconds(kill, resumed):0.00} s)"));
                }
            }
        }

        var resumeTimes = new LatencyRecorder();
        foreach (var at in resumedAt.Values)
        {
            resumeTimes.RecordTicks(kill, at);
        }

        return new ResultRow
        {
            Scenario = "S5",
            System = system.Name,
            Load = rooms.Count,
            Rate = load.RatePerParty,
            Sent = rooms.Count,
            Delivered = rooms.Count - notRecovered,
            Errors = Interlocked.Read(ref reconnectFailures),
            P50 = recovery.PercentileMs(50),
            P99 = recovery.PercentileMs(99),
            Max = recovery.MaxMs(),
            AckP50 = resumeTimes.PercentileMs(50),
            AckP99 = resumeTimes.MaxMs(),
            LostAfterKill = lostAfterKill,
            LostAfterResume = lostAfterResume,
            LoadAverage = RunInfo.ReadLoadAverage1(),
            Note = string.Join("; ", new[]
            {
                setting,
                $"killed pid {victimPid} at {killClock:HH:mm:ss.fff} UTC (gone after {killTook.TotalMilliseconds:0} ms; its parties saw their connection drop p50 {dropped.PercentileMs(50) / 1000:0.0} s after the kill{PhaseNote(reconnectPhases)}); {victims.Count} parties reconnected, {Interlocked.Read(ref retries)} send retries",
                notRecovered > 0 ? $"{notRecovered} rooms did not relay again within {load.GiveUp.TotalSeconds:0} s" : "",
                examples.Count > 0 ? "lost e.g. " + string.Join(", ", examples) : "",
            }.Where(n => n.Length > 0)),
        };
    }

    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    private static readonly string[] PhaseNames = ["connected", "resume sent", "resume answered"];

    /// <summary>When the reconnecting parties passed each phase, after the kill: where a slow resume spends its time.</summary>
    private static string PhaseNote(System.Collections.Concurrent.ConcurrentDictionary<string, LatencyRecorder> phases) =>
        string.Concat(PhaseNames
            .Where(phases.ContainsKey)
            .Select(name => string.Create(CultureInfo.InvariantCulture,
                $"; {name} p50 {phases[name].PercentileMs(50) / 1000:0.0} s, max {phases[name].MaxMs() / 1000:0.0} s")));
}
