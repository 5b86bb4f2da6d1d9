using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Bench.Measurement;
using Telemedicina.Bench.Reporting;
using Telemedicina.Bench.Systems;

namespace Telemedicina.Bench.Scenarios;

/// <summary>Settings of one relay measurement.</summary>
internal sealed record RelayLoad(string Scenario, int Rooms, double RatePerParty, int MinPayload, int MaxPayload, TimeSpan Warmup, TimeSpan Measure, TimeSpan Drain)
{
    /// <summary>Longest wait after the drain for the servers to work off a backlog before the next point.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// S1: every party of the first <see cref="RelayLoad.Rooms"/> rooms sends signals to its counterpart on a fixed
/// schedule (open loop: a slow answer never delays the next send; each party starts at a random phase).
/// Only messages sent inside the measurement window count: sent, delivered (by the receiving handler),
/// one-way latency from the payload's timestamp, sender-side completion (ack) of the hub invocation.
/// </summary>
internal static class RelayScenario
{
    public static async Task<ResultRow> RunAsync(SystemUnderTest system, RelayLoad load, int seed, CancellationToken ct, string? timelinePath = null)
    {
        if (system.Rooms.Count < load.Rooms)
        {
            throw new InvalidOperationException($"{system.Name} has {system.Rooms.Count} rooms open, {load.Rooms} needed.");
        }

        var reconnected = await system.EnsureConnectedAsync(load.Rooms, ct);
        var latency = new LatencyRecorder();
        var ack = new LatencyRecorder();
        var lag = new LatencyRecorder();
        long sent = 0, delivered = 0, outOfOrder = 0, errors = 0, outstanding = 0;
        var frequency = Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp() + frequency / 2;
        var measureStart = start + (long)(load.Warmup.TotalSeconds * frequency);
        var measureEnd = measureStart + (long)(load.Measure.TotalSeconds * frequency);
        var interval = frequency / load.RatePerParty;
        var timeline = timelinePath is null ? null : new LatencyTimeline(measureStart, measureEnd);

        system.Sink.Current = (receiver, payload) =>
        {
            var now = Stopwatch.GetTimestamp();
            if (!Payload.TryRead(payload, out var sentAt, out var number))
            {
                return;
            }

            // Handlers of one connection run one at a time, so LastReceived needs no lock.
            if (number <= receiver.LastReceived)
            {
                Interlocked.Increment(ref outOfOrder);
            }
            else
            {
                receiver.LastReceived = number;
            }

            if (sentAt >= measureStart && sentAt < measureEnd)
            {
                Interlocked.Increment(ref delivered);
                latency.RecordTicks(sentAt, now);
                timeline?.Record(sentAt, now);
            }
        };

        var parties = system.Rooms.Take(load.Rooms).SelectMany(r => new[] { r.A, r.B }).ToList();
        var random = new Random(seed);
        var phases = parties.Select(_ => (long)(random.NextDouble() * interval)).ToList();
        var sizes = parties.Select(_ => new Random(random.Next())).ToList();

        var cpu = MeasureCpuAsync(system, measureStart, measureEnd, ct);
        var senders = parties.Select((party, i) => Task.Run(async () =>
        {
            var rng = sizes[i];
            for (long k = 0; ; k++)
            {
                var intended = start + phases[i] + (long)(k * interval);
                if (intended >= measureEnd)
                {
                    return;
                }

                await OursSystem.DelayUntil(intended, ct);
                var now = Stopwatch.GetTimestamp();
                var inWindow = now >= measureStart && now < measureEnd;
                var payload = Payload.Create(now, ++party.LastSent, rng.Next(load.MinPayload, load.MaxPayload + 1));
                if (inWindow)
                {
                    Interlocked.Increment(ref sent);
                    lag.RecordTicks(intended, now);
                }

                // Not awaited: the next send keeps its schedule whatever this one costs.
                Interlocked.Increment(ref outstanding);
                _ = party.Connection.InvokeAsync("Signal", party.RoomId.ToString(), party.CounterpartId.ToString(), "offer", payload, ct)
                    .ContinueWith(t =>
                    {
                        Interlocked.Decrement(ref outstanding);
                        if (t.IsCompletedSuccessfully)
                        {
                            if (inWindow)
                            {
                                ack.RecordTicks(now, Stopwatch.GetTimestamp());
                            }
                        }
                        else
                        {
                            Interlocked.Increment(ref errors);
                        }
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }, ct)).ToList();

        await Task.WhenAll(senders);
        var (serverCpu, machineBusy, generatorCpu) = await cpu;

        // Let what is in flight arrive: until every counted message is delivered or the drain time is up.
        var drainUntil = Stopwatch.GetTimestamp() + (long)(load.Drain.TotalSeconds * frequency);
        while (Interlocked.Read(ref delivered) < Interlocked.Read(ref sent) && Stopwatch.GetTimestamp() < drainUntil)
        {
            await Task.Delay(50, ct);
        }

        if (timeline is not null)
        {
            await timeline.AppendCsvAsync(timelinePath!, system.Name, load.Scenario, load.Rooms, ct);
        }

        // A saturated server still works off its backlog: wait for every invocation to complete (not counted)
        // so that the next point does not start on top of this one's queue.
        var settleUntil = Stopwatch.GetTimestamp() + (long)(load.Settle.TotalSeconds * frequency);
        while (Interlocked.Read(ref outstanding) > 0 && Stopwatch.GetTimestamp() < settleUntil)
        {
            await Task.Delay(100, ct);
        }

        var left = Interlocked.Read(ref outstanding);
        system.Sink.Current = null;
        return new ResultRow
        {
            Scenario = load.Scenario,
            System = system.Name,
            Load = load.Rooms,
            Rate = load.RatePerParty,
            PayloadBytes = $"{load.MinPayload}-{load.MaxPayload}",
            WarmupSeconds = load.Warmup.TotalSeconds,
            MeasureSeconds = load.Measure.TotalSeconds,
            Sent = Interlocked.Read(ref sent),
            Delivered = Interlocked.Read(ref delivered),
            OutOfOrder = Interlocked.Read(ref outOfOrder),
            Errors = Interlocked.Read(ref errors),
            P50 = latency.PercentileMs(50),
            P99 = latency.PercentileMs(99),
            P999 = latency.PercentileMs(99.9),
            Max = latency.MaxMs(),
            AckP50 = ack.PercentileMs(50),
            AckP99 = ack.PercentileMs(99),
            ServerCpuSeconds = serverCpu,
            MachineBusyPercent = machineBusy,
            GeneratorCpuSeconds = generatorCpu,
            SendLagP99 = lag.PercentileMs(99),
            LoadAverage = RunInfo.ReadLoadAverage1(),
            Note = string.Join("; ", new[]
            {
                reconnected > 0 ? $"{reconnected} dropped connections re-opened before the point" : "",
                left > 0 ? $"{left} invocations still pending {load.Settle.TotalSeconds:0} s after the window" : "",
            }.Where(n => n.Length > 0)),
        };
    }

    /// <summary>CPU of the system's servers, of the machine and of this generator between the two instants.</summary>
    internal static async Task<(double ServerCpu, double MachineBusyPercent, double GeneratorCpu)> MeasureCpuAsync(
        SystemUnderTest system, long from, long to, CancellationToken ct)
    {
        await OursSystem.DelayUntil(from, ct);
        var pids = system.ServerPids;
        var server0 = CpuSampler.ProcessSeconds(pids);
        var machine0 = CpuSampler.Machine();
        var self0 = Process.GetCurrentProcess().TotalProcessorTime;
        await OursSystem.DelayUntil(to, ct);
        var server1 = CpuSampler.ProcessSeconds(pids);
        var machine1 = CpuSampler.Machine();
        var self1 = Process.GetCurrentProcess().TotalProcessorTime;
        var total = machine1.Total - machine0.Total;
        var busy = total <= 0 ? double.NaN : 100.0 * (machine1.Busy - machine0.Busy) / total;
        return (server1 - server0, busy, (self1 - self0).TotalSeconds);
    }
}
