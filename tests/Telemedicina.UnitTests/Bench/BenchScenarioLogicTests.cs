using Telemedicina.Bench;
using Telemedicina.Bench.Measurement;
using Telemedicina.Bench.Reporting;
using Telemedicina.Bench.Scenarios;

namespace Telemedicina.UnitTests.Bench;

/// <summary>The pure parts of S2, S4 and S5 and their report output.</summary>
public sealed class BenchScenarioLogicTests
{
    [Fact]
    public void DirectionLedger_CountsOnlyAcknowledgedMessagesAfterTheKillThatNeverArrived()
    {
        var ledger = new DirectionLedger();
        for (var n = 1; n <= 10; n++)
        {
            ledger.Acked(n, firstSentAt: n * 100);
        }

        ledger.Kill(lastSentAtKill: 4);
        foreach (var n in new[] { 1, 2, 5, 8, 9, 10 })
        {
            ledger.Received(n, at: 5000 + n);
        }

        // 3 and 4 were sent before the kill (in flight); 6 and 7 after it, 7 after the resume at 650.
        var (afterKill, afterResume) = ledger.Lost(resumedAt: 650);

        Assert.Equal(2, afterKill);
        Assert.Equal(1, afterResume);
        Assert.Equal(2, ledger.Missing());
        Assert.Equal(5005, ledger.FirstDeliveredAfterKill);
    }

    [Fact]
    public void DirectionLedger_DeliveriesBeforeTheKillOrOfOldNumbers_DoNotCountAsRelayingAgain()
    {
        var ab = new DirectionLedger();
        var ba = new DirectionLedger();
        ab.Received(1, at: 10);
        ab.Kill(3);
        ba.Kill(3);
        ab.Received(3, at: 20);

        Assert.Null(DirectionLedger.RelaysAgainAt(ab, ba));

        ab.Received(4, at: 30);
        ba.Received(4, at: 45);

        Assert.Equal(45, DirectionLedger.RelaysAgainAt(ab, ba));
    }

    [Fact]
    public void ConnectionRamp_Cap_IsTheTighterOfBothProcessesDescriptorsLessAMargin()
    {
        var cap = ConnectionRamp.Cap(requested: 19_500, generatorLimit: 20_000, generatorOpen: 1_000, serverLimit: 20_000, serverOpen: 400);

        Assert.Equal(20_000 - 1_000 - ConnectionRamp.Margin, cap);
        Assert.Equal(500, ConnectionRamp.Cap(500, 20_000, 100, 20_000, 100));
        Assert.Equal(0, ConnectionRamp.Cap(500, 100, 100, 20_000, 100));
    }

    [Fact]
    public void ConnectionRamp_Steps_StopAtTheCapAndEndOnIt()
    {
        Assert.Equal([1000, 2500, 5000, 7000], ConnectionRamp.Steps([1000, 2500, 5000, 7500, 10000], 7000));
        Assert.Equal([50, 100], ConnectionRamp.Steps([100, 50], 19_000));
        Assert.Empty(ConnectionRamp.Steps([100], 0));
    }

    [Theory]
    [InlineData(900, 0, 1000, false)]
    [InlineData(1001, 0, 1000, true)]
    [InlineData(100, 1, 1000, false)]
    [InlineData(100, 2, 1000, true)]
    [InlineData(double.NaN, 1000, 1000, true)]
    public void ConnectionRamp_StopsOnSlowHandshakesOrTooManyErrors(double p99, long errors, long attempts, bool stop) =>
        Assert.Equal(stop, ConnectionRamp.ShouldStop(p99, errors, attempts, p99LimitMs: 1000, errorLimit: 0.001));

    [Fact]
    public void FileLimits_ParseTheSoftOpenFileLimitAndResidentMemory()
    {
        const string limits = "Limit                     Soft Limit           Hard Limit           Units     \n" +
            "Max processes             94503                94503                processes \n" +
            "Max open files            20000                20000                files     \n";
        const string status = "Name:\tdotnet\nVmPeak:\t 3000000 kB\nVmRSS:\t  123456 kB\nThreads:\t30\n";

        Assert.Equal(20_000, FileLimits.ParseOpenFileLimit(limits));
        Assert.Equal(long.MaxValue, FileLimits.ParseOpenFileLimit("Max open files            unlimited            unlimited            files\n"));
        Assert.Equal(123_456, FileLimits.ParseResidentKiB(status));
    }

    [Fact]
    public void BookingBoard_PicksAmongTheFirstOpenSlots_SkippingTakenAndHeldOnes_AndStopsWhenNoneIsLeft()
    {
        var random = new Random(3);
        var board = new BookingBoard(1000);
        // Slots 0-99 and every even slot up to 140 are taken; the first 32 open ones are then 101, 103, ..., 139 (20)
        // and 141-152 (12).
        foreach (var taken in Enumerable.Range(0, 100).Concat(Enumerable.Range(100, 41).Where(i => i % 2 == 0)))
        {
            board.Taken(taken);
        }

        var picks = Enumerable.Range(0, 2000).Select(_ => board.Pick(32, random, _ => false)).ToList();
        var expected = Enumerable.Range(101, 39).Where(i => i % 2 == 1).Concat(Enumerable.Range(141, 12)).ToHashSet();
        Assert.Equal(32, expected.Count);
        Assert.All(picks, p => Assert.Contains(p, expected));
        Assert.Equal(expected.Count, picks.Distinct().Count());
        Assert.Equal(1000 - 100 - 21, board.OpenCount);

        // Skipped slots (times the patient already holds) widen the window past them rather than shrink it.
        var skipping = Enumerable.Range(0, 500).Select(_ => board.Pick(32, random, i => i < 141)).ToList();
        Assert.All(skipping, p => Assert.InRange(p, 141, 172));

        // Taking a slot twice changes nothing; when every slot is gone, there is nothing to pick.
        var small = new BookingBoard(3);
        small.Taken(1);
        small.Taken(1);
        Assert.Equal(2, small.OpenCount);
        Assert.Equal(2, small.Pick(32, random, i => i == 0));
        small.Taken(0);
        small.Taken(2);
        Assert.Equal(-1, small.Pick(32, random, _ => false));

        Assert.Equal(32, BookingPlan.Window(64, 8));
        Assert.Equal(8, BookingPlan.Window(8, 8));
    }

    [Fact]
    public void ResultRow_NewColumns_LeaveUncheckedFiguresEmpty()
    {
        var s4 = new ResultRow { Scenario = "S4", System = "ours", Conflicts = 12, DoubleBookings = 0 }.ToCsv().Split(',');
        var s2 = new ResultRow { Scenario = "S2", System = "limit", RssKbPerConnection = 12.34, ServerFds = 1234 }.ToCsv().Split(',');
        var column = (string name) => Array.IndexOf(ResultRow.CsvColumns, name);

        Assert.Equal(ResultRow.CsvColumns.Length, s4.Length);
        Assert.Equal("12", s4[column("conflicts")]);
        Assert.Equal("0", s4[column("double_bookings")]);
        Assert.Equal("", s4[column("lost_after_resume")]);
        Assert.Equal("12.3", s2[column("rss_kb_per_connection")]);
        Assert.Equal("1234", s2[column("server_fds")]);
        Assert.Equal("", s2[column("double_bookings")]);
    }

    [Fact]
    public void Markdown_HasTheS2S4AndS5Sections()
    {
        var run = new RunInfo(DateTimeOffset.UnixEpoch, "abc1234", 2, "Test CPU", 24, "1 1 1", "smoke", []);
        ResultRow[] rows =
        [
            new() { Scenario = "S2", System = "limit", Load = 100, Rate = 16, Sent = 50, Delivered = 50, P50 = 3, P99 = 9, Max = 10, RssKbPerConnection = 20, ServerFds = 150 },
            new() { Scenario = "S4", System = "ours", Load = 64, Rate = 8, MeasureSeconds = 10, Sent = 900, Delivered = 400, Conflicts = 500, DoubleBookings = 0, P50 = 30, P99 = 90 },
            new() { Scenario = "S5", System = "ours", Load = 10, Rate = 2, Sent = 10, Delivered = 10, P50 = 4000, P99 = 6000, Max = 6500, LostAfterKill = 0, LostAfterResume = 0 },
        ];

        var markdown = Report.ToMarkdown(run, rows, []);

        Assert.Contains("## S2 idle connections", markdown, StringComparison.Ordinal);
        Assert.Contains("| limit | 100 | 50/50 | 0 | 16 | 3.0 | 9.0 | 10.0 | 20.0 | 150 |", markdown, StringComparison.Ordinal);
        Assert.Contains("- limit: 100 connections held", markdown, StringComparison.Ordinal);
        Assert.Contains("| ours | 64 | 8 | 10.0 | 900 | 400 | 40.0 | 500 | 0 | 30.0 | 90.0 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| **0** |", markdown, StringComparison.Ordinal);
        Assert.Contains("| ours | 10 | 2 | 10/10 | 4.00 | 6.00 | 6.50 |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_SmokeRunsEveryScenarioSmall_AndScenariosCanBeChosen()
    {
        var smoke = BenchOptions.Parse(["--profile", "smoke"]);
        var chosen = BenchOptions.Parse(["--profile", "smoke", "--scenarios", "S4,S5", "--failover-rooms", "30", "--booking-clients", "16"]);

        Assert.True(smoke.Runs("S1") && smoke.Runs("S2") && smoke.Runs("S4") && smoke.Runs("S5"));
        Assert.True(smoke.ConnectionCap <= 100);
        Assert.False(chosen.Runs("S1"));
        Assert.Equal(30, chosen.RoomsNeeded);
        Assert.Equal(16, chosen.BookingClients);
        Assert.Equal(400, BenchOptions.Parse([]).RoomsNeeded);
    }

    [Fact]
    public void Report_RepeatedS1Points_GetTheMedianOfTheirRuns_AndASinglePointGetsNoMedianTable()
    {
        var run = new RunInfo(DateTimeOffset.UnixEpoch, "abc1234", 2, "Test CPU", 24, "1 1 1", "quick", []);
        static ResultRow S1(string system, int rooms, double p99, double p50 = 1, string note = "") =>
            new() { Scenario = "S1", System = system, Load = rooms, Rate = 5, Sent = 100, Delivered = 100, P50 = p50, P99 = p99, P999 = p99 * 2, ServerCpuSeconds = 0.01, Note = note };
        ResultRow[] repeated =
        [
            S1("ours", 200, 20, note: "run 1 of 3"), S1("peer-redis", 200, 30, note: "run 1 of 3"),
            S1("peer-redis", 200, 90, note: "run 2 of 3"), S1("ours", 200, 170, p50: 9, note: "run 2 of 3"),
            S1("ours", 200, 25, note: "run 3 of 3"), S1("peer-redis", 200, 31, note: "run 3 of 3"),
            new() { Scenario = "S1-ramp", System = "ours", Load = 200, Rate = 10, Sent = 10, Delivered = 10, P99 = 999 },
        ];

        var medians = Report.S1Medians(repeated);

        Assert.Equal(["ours", "peer-redis"], medians.Select(m => m.System));
        var ours = medians[0];
        Assert.Equal((3, 300L, 300L), (ours.Runs, ours.Sent, ours.Delivered));
        Assert.Equal((25.0, 20.0, 170.0, 50.0, 1.0), (ours.P99, ours.P99Min, ours.P99Max, ours.P999, ours.P50));
        Assert.Equal(100, ours.CpuMsPer1kMessages, 6);
        Assert.Equal(31, medians[1].P99);
        var markdown = Report.ToMarkdown(run, repeated, []);
        Assert.Contains("### S1, median of the repeated runs", markdown, StringComparison.Ordinal);
        Assert.Contains("| ours | 200 | 3 | 300/300 | 1.0 | 25.0 | 20.0–170.0 | 50.0 | 100 |", markdown, StringComparison.Ordinal);
        Assert.Equal(27.5, Report.S1Medians([S1("limit", 100, 20), S1("limit", 100, 35)])[0].P99);
        Assert.DoesNotContain("median of the repeated runs", Report.ToMarkdown(run, [S1("ours", 200, 20)], []), StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Repeat_QuickMeasuresEachS1PointThreeTimes_SmokeOnce_AndZeroIsRefused()
    {
        Assert.Equal(3, BenchOptions.Parse([]).Repeat);
        Assert.Equal(1, BenchOptions.Parse(["--profile", "smoke"]).Repeat);
        Assert.Equal(5, BenchOptions.Parse(["--repeat", "5"]).Repeat);
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--repeat", "0"]));
    }

    [Fact]
    public void Options_CallWarmup_SetsTheExcludedCallsAndTheRoomsS3AloneOpens()
    {
        var options = BenchOptions.Parse(["--scenarios", "S3", "--call-warmup", "300"]);

        Assert.Equal(300, options.CallWarmup);
        Assert.Equal(500, options.RoomsNeeded);
        Assert.Equal(50, BenchOptions.Parse([]).CallWarmup);
    }

    [Fact]
    public void Options_WarmCalls_SetTheWarmS3Batch_SmallInSmoke_OffAtZero()
    {
        Assert.Equal(200, BenchOptions.Parse([]).WarmCalls);
        Assert.Equal(5, BenchOptions.Parse(["--profile", "smoke"]).WarmCalls);
        Assert.Equal(0, BenchOptions.Parse(["--warm-calls", "0"]).WarmCalls);
        Assert.Equal(TimeSpan.FromSeconds(5), BenchOptions.Parse([]).WarmCallsSettle);
        Assert.Contains(BenchOptions.Parse([]).Describe(), line => line.Contains("warm: 200 more calls 5 s after the last S1 point", StringComparison.Ordinal));
        Assert.Contains(BenchOptions.Parse(["--warm-calls", "0"]).Describe(), line => line.Contains("warm: not run", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--warm-calls", "-1"]));
    }
}
