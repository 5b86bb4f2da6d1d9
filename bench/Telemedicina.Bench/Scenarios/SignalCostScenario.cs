using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Bench.Measurement;
using Telemedicina.Bench.Reporting;
using Telemedicina.Bench.Systems;

namespace Telemedicina.Bench.Scenarios;

/// <summary>
/// What one awaited Signal costs with nothing else running: sequential round trips of <c>Ping</c> (hub only)
/// and of <c>Signal</c> (on ours: the hub awaits the room grain) from one party of the first room.
/// </summary>
internal static class SignalCostScenario
{
    public static async Task<IReadOnlyList<ResultRow>> RunAsync(SystemUnderTest system, int samples, int payloadSize, CancellationToken ct)
    {
        var party = system.Rooms[0].A;
        var ping = new LatencyRecorder();
        var signal = new LatencyRecorder();
        system.Sink.Current = null;
        for (var i = 0; i < samples / 5 + 10; i++)
        {
            // Warm-up of both paths (JIT, grain activation, connections between silos).
            await party.Connection.InvokeAsync<string>("Ping", ct);
            await SignalAsync(party, payloadSize, ct);
        }

        for (var i = 0; i < samples; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await party.Connection.InvokeAsync<string>("Ping", ct);
            ping.RecordTicks(t0, Stopwatch.GetTimestamp());
        }

        for (var i = 0; i < samples; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await SignalAsync(party, payloadSize, ct);
            signal.RecordTicks(t0, Stopwatch.GetTimestamp());
        }

        return [Row(system, "Ping", ping, samples), Row(system, "Signal ack", signal, samples)];
    }

    private static Task SignalAsync(Party party, int payloadSize, CancellationToken ct) =>
        party.Connection.InvokeAsync("Signal", party.RoomId.ToString(), party.CounterpartId.ToString(), "offer",
            Payload.Create(Stopwatch.GetTimestamp(), ++party.LastSent, payloadSize), ct);

    private static ResultRow Row(SystemUnderTest system, string method, LatencyRecorder recorder, int samples) => new()
    {
        Scenario = "signal-cost",
        System = system.Name,
        Load = 1,
        Sent = samples,
        Delivered = recorder.Count,
        P50 = recorder.PercentileMs(50),
        P99 = recorder.PercentileMs(99),
        P999 = recorder.PercentileMs(99.9),
        Max = recorder.MaxMs(),
        Note = method,
    };
}
