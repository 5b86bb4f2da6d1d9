using System.Globalization;

namespace Telemedicina.Bench.Reporting;

/// <summary>
/// What a checked run (<c>--check</c>; the smoke profile, which ./test.sh runs) must show on any machine, however
/// slow: every scenario ran on every system it applies to, and the correctness figures hold — at smoke size nothing
/// is lost, refused or reordered, no slot is booked twice, every room relays again after the kill and no signal
/// is lost after a resume. Latencies and throughput are reported, never judged here: speed is for the benchmark.
/// </summary>
internal static class SmokeCheck
{
    public static IReadOnlyList<string> Violations(BenchOptions options, IReadOnlyList<ResultRow> rows)
    {
        var problems = new List<string>();
        void Expect(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }

        IReadOnlyList<ResultRow> Of(string scenario, string system) =>
            [.. rows.Where(r => r.Scenario == scenario && r.System == system)];

        foreach (var system in options.Systems)
        {
            Expect(Of("signal-cost", system).Count == 2, $"{system}: the Signal cost probe gave {Of("signal-cost", system).Count} rows, not 2 (Ping and Signal)");
            foreach (var row in Of("signal-cost", system))
            {
                Expect(row.Sent > 0 && row.Delivered == row.Sent && row.Errors == 0, $"{system}: the cost probe answered {row.Delivered}/{row.Sent} with {row.Errors} errors ({row.Note})");
            }

            if (system == "ours")
            {
                var calls = Of("S3", system);
                Expect(calls.Count(r => r.Note.StartsWith("cold", StringComparison.Ordinal)) == 1, $"{system}: no cold S3 row");
                Expect(options.WarmCalls == 0 || calls.Count(r => r.Note.StartsWith("warm", StringComparison.Ordinal)) == 1, $"{system}: no warm S3 row");
                foreach (var row in calls)
                {
                    Expect(row.Sent > 0 && row.Delivered == row.Sent && row.Errors == 0,
                        $"{system}: S3 notified {row.Delivered} of {row.Sent} call requests, {row.Errors} errors");
                }
            }

            if (options.Runs("S1"))
            {
                foreach (var rooms in options.RoomLevels)
                {
                    var points = Of("S1", system).Where(r => r.Load == rooms).ToList();
                    Expect(points.Count == 1, $"{system}: no S1 row at {rooms} rooms");
                    foreach (var row in points)
                    {
                        Expect(row.Sent > 0 && row.Delivered == row.Sent,
                            $"{system}: S1 at {rooms} rooms delivered {row.Delivered} of {row.Sent} signals");
                        Expect(row.OutOfOrder == 0, $"{system}: S1 at {rooms} rooms delivered {row.OutOfOrder} signals out of order");
                        Expect(row.Errors == 0, $"{system}: S1 at {rooms} rooms had {row.Errors} refused or failed sends");
                    }
                }
            }

            if (options.Runs("S2") && system is "ours" or "limit")
            {
                var steps = Of("S2", system);
                Expect(steps.Count > 0, $"{system}: no S2 row");
                foreach (var row in steps)
                {
                    Expect(row.Delivered == row.Sent && row.Errors == 0,
                        $"{system}: S2 opened {row.Delivered} of {row.Sent} connections at step {row.Load.ToString(CultureInfo.InvariantCulture)}, {row.Errors} errors");
                }
            }

            if (options.Runs("S4") && system == "ours")
            {
                var booking = Of("S4", system);
                Expect(booking.Count == 1, $"{system}: no S4 row");
                foreach (var row in booking)
                {
                    Expect(row.DoubleBookings == 0, $"{system}: S4 found {row.DoubleBookings} double bookings (or did not check: -1)");
                    Expect(row.Delivered > 0, $"{system}: S4 booked nothing in {row.Sent} requests");
                    Expect(row.Errors == 0, $"{system}: S4 had {row.Errors} booking requests answered with neither 201 nor 409");
                }
            }

            if (options.Runs("S5") && system is "ours" or "peer-redis")
            {
                var failover = Of("S5", system);
                Expect(failover.Count == 1, $"{system}: no S5 row");
                foreach (var row in failover)
                {
                    Expect(row.Sent > 0 && row.Delivered == row.Sent, $"{system}: S5: {row.Delivered} of {row.Sent} rooms relayed again after the kill");
                    Expect(row.Errors == 0, $"{system}: S5: {row.Errors} parties could not reconnect");
                    // The backplane keeps nothing for a user without a connection; ours replays, so it must lose nothing.
                    Expect(system != "ours" || row.LostAfterResume == 0, $"{system}: S5 lost {row.LostAfterResume} signals sent after the parties had resumed");
                }
            }
        }

        return problems;
    }
}
