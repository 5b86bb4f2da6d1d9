using Telemedicina.Bench;
using Telemedicina.Bench.Reporting;

namespace Telemedicina.UnitTests.Bench;

/// <summary>The correctness check of a smoke run (./test.sh runs ./bench.sh --smoke, which applies it).</summary>
public sealed class SmokeCheckTests
{
    private static readonly BenchOptions Smoke = BenchOptions.Parse(["--profile", "smoke"]);

    // A smoke run in which everything held: the rows the harness writes for the three systems.
    private static List<ResultRow> Good()
    {
        var rows = new List<ResultRow>();
        foreach (var system in Smoke.Systems)
        {
            rows.Add(new ResultRow { Scenario = "signal-cost", System = system, Load = 1, Sent = 50, Delivered = 50, Note = "Ping" });
            rows.Add(new ResultRow { Scenario = "signal-cost", System = system, Load = 1, Sent = 50, Delivered = 50, Note = "Signal ack" });
            rows.Add(new ResultRow { Scenario = "S1", System = system, Load = 10, Sent = 500, Delivered = 500 });
        }

        rows.Add(new ResultRow { Scenario = "S3", System = "ours", Load = 12, Sent = 12, Delivered = 12, Note = "cold: the first calls after start" });
        rows.Add(new ResultRow { Scenario = "S3", System = "ours", Load = 5, Sent = 5, Delivered = 5, Note = "warm: after S1" });
        rows.Add(new ResultRow { Scenario = "S2", System = "ours", Load = 50, Sent = 50, Delivered = 50 });
        rows.Add(new ResultRow { Scenario = "S2", System = "limit", Load = 50, Sent = 50, Delivered = 50 });
        rows.Add(new ResultRow { Scenario = "S4", System = "ours", Load = 8, Sent = 40, Delivered = 9, Conflicts = 31, DoubleBookings = 0 });
        rows.Add(new ResultRow { Scenario = "S5", System = "ours", Load = 10, Sent = 10, Delivered = 10, LostAfterKill = 0, LostAfterResume = 0 });
        rows.Add(new ResultRow { Scenario = "S5", System = "peer-redis", Load = 10, Sent = 10, Delivered = 10, LostAfterKill = 3, LostAfterResume = 0 });
        return rows;
    }

    [Fact]
    public void SmokeProfile_IsChecked()
    {
        Assert.True(Smoke.Check);
        Assert.False(BenchOptions.Parse([]).Check);
        Assert.True(BenchOptions.Parse(["--check"]).Check);
    }

    [Fact]
    public void ACompleteCorrectRun_Passes_EvenWithTheBackplaneLosingSignalsInTheKillWindow()
    {
        Assert.Empty(SmokeCheck.Violations(Smoke, Good()));
    }

    public static TheoryData<string, string> Breakages => new()
    {
        { "S1 lost a signal", "ours: S1 at 10 rooms delivered 499 of 500" },
        { "S1 reordered", "limit: S1 at 10 rooms delivered 2 signals out of order" },
        { "S1 refused sends", "peer-redis: S1 at 10 rooms had 1 refused" },
        { "S1 missing for a system", "limit: no S1 row at 10 rooms" },
        { "S3 call not notified", "ours: S3 notified 11 of 12" },
        { "S3 warm call not notified", "ours: S3 notified 4 of 5" },
        { "S3 warm batch missing", "ours: no warm S3 row" },
        { "S3 cold batch missing", "ours: no cold S3 row" },
        { "S2 connection failed", "ours: S2 opened 49 of 50" },
        { "S4 double booking", "ours: S4 found 1 double bookings" },
        { "S4 not checked", "ours: S4 found -1 double bookings" },
        { "S4 errors", "ours: S4 had 2 booking requests" },
        { "S5 room never relayed again", "ours: S5: 9 of 10 rooms relayed again" },
        { "S5 lost after resume", "ours: S5 lost 1 signals sent after the parties had resumed" },
        { "S5 missing", "peer-redis: no S5 row" },
        { "cost probe missing", "limit: the Signal cost probe gave 1 rows" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void EachBrokenFigure_IsReported(string breakage, string expected)
    {
        var rows = Good();
        ResultRow Find(string scenario, string system) => rows.First(r => r.Scenario == scenario && r.System == system);
        ResultRow Warm() => rows.Single(r => r.Scenario == "S3" && r.Note.StartsWith("warm", StringComparison.Ordinal));
        void Replace(ResultRow old, ResultRow updated) => rows[rows.IndexOf(old)] = updated;
        switch (breakage)
        {
            case "S1 lost a signal": Replace(Find("S1", "ours"), Find("S1", "ours") with { Delivered = 499 }); break;
            case "S1 reordered": Replace(Find("S1", "limit"), Find("S1", "limit") with { OutOfOrder = 2 }); break;
            case "S1 refused sends": Replace(Find("S1", "peer-redis"), Find("S1", "peer-redis") with { Errors = 1 }); break;
            case "S1 missing for a system": rows.Remove(Find("S1", "limit")); break;
            case "S3 call not notified": Replace(Find("S3", "ours"), Find("S3", "ours") with { Delivered = 11 }); break;
            case "S3 warm call not notified": Replace(Warm(), Warm() with { Delivered = 4 }); break;
            case "S3 warm batch missing": rows.Remove(Warm()); break;
            case "S3 cold batch missing": rows.Remove(Find("S3", "ours")); break;
            case "S2 connection failed": Replace(Find("S2", "ours"), Find("S2", "ours") with { Delivered = 49, Errors = 1 }); break;
            case "S4 double booking": Replace(Find("S4", "ours"), Find("S4", "ours") with { DoubleBookings = 1 }); break;
            case "S4 not checked": Replace(Find("S4", "ours"), Find("S4", "ours") with { DoubleBookings = -1 }); break;
            case "S4 errors": Replace(Find("S4", "ours"), Find("S4", "ours") with { Errors = 2 }); break;
            case "S5 room never relayed again": Replace(Find("S5", "ours"), Find("S5", "ours") with { Delivered = 9 }); break;
            case "S5 lost after resume": Replace(Find("S5", "ours"), Find("S5", "ours") with { LostAfterResume = 1 }); break;
            case "S5 missing": rows.Remove(Find("S5", "peer-redis")); break;
            case "cost probe missing": rows.Remove(rows.First(r => r.Scenario == "signal-cost" && r.System == "limit")); break;
            default: throw new ArgumentException(breakage);
        }

        var violations = SmokeCheck.Violations(Smoke, rows);
        Assert.Contains(violations, v => v.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void ScenariosNotChosen_AreNotRequired()
    {
        var options = BenchOptions.Parse(["--profile", "smoke", "--scenarios", "S1", "--systems", "ours"]);
        var rows = Good().Where(r => r.System == "ours" && r.Scenario is "signal-cost" or "S1" or "S3").ToList();
        Assert.Empty(SmokeCheck.Violations(options, rows));
    }
}
