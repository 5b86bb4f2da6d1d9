using System.Diagnostics;
using Telemedicina.Bench;
using Telemedicina.Bench.Measurement;
using Telemedicina.Bench.Reporting;

namespace Telemedicina.UnitTests.Bench;

public sealed class BenchMeasurementTests
{
    [Theory]
    [InlineData(1024)]
    [InlineData(4096)]
    public void Payload_WhenCreated_HasTheSizeAndReadsBack(int size)
    {
        var timestamp = Stopwatch.GetTimestamp();

        var payload = Payload.Create(timestamp, 42, size);

        Assert.Equal(size, payload.Length);
        Assert.StartsWith("v=", payload, StringComparison.Ordinal);
        Assert.True(Payload.TryRead(payload, out var readTimestamp, out var number));
        Assert.Equal(timestamp, readTimestamp);
        Assert.Equal(42, number);
    }

    [Theory]
    [InlineData("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n")]
    [InlineData("candidate:1 1 udp 2122260223 10.0.0.1 54321 typ host")]
    [InlineData("")]
    public void Payload_WhenNotWrittenByTheGenerator_IsNotRead(string payload) =>
        Assert.False(Payload.TryRead(payload, out _, out _));

    [Fact]
    public async Task LatencyTimeline_CountsEach100MsOfSendTime_ItsSlowMessagesAndItsMaximum()
    {
        var f = Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp();
        var timeline = new LatencyTimeline(start, start + f / 2); // 500 ms: 6 buckets
        long Ms(double ms) => (long)(ms * f / 1000);
        timeline.Record(start + Ms(10), start + Ms(12));       // bucket 0: 2 ms
        timeline.Record(start + Ms(50), start + Ms(75));       // bucket 0: 25 ms, slow
        timeline.Record(start + Ms(250), start + Ms(254));     // bucket 2: 4 ms
        timeline.Record(start - Ms(1), start + Ms(100));       // before the window: ignored
        timeline.Record(start + Ms(900), start + Ms(901));     // after it: ignored
        var path = Path.Combine(Path.GetTempPath(), $"timeline-{Guid.NewGuid():N}.csv");
        try
        {
            await timeline.AppendCsvAsync(path, "ours", "S1", 400, TestContext.Current.CancellationToken);
            await timeline.AppendCsvAsync(path, "limit", "S1", 400, TestContext.Current.CancellationToken);
            var lines = await File.ReadAllLinesAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal("system,scenario,rooms,utc,messages,over_10_ms,max_ms", lines[0]);
            Assert.Equal(1 + 2 * 6, lines.Length); // one header, then each call's buckets
            var rows = lines[1..7].Select(l => l.Split(',')).ToList();
            Assert.All(rows, r => Assert.Equal(["ours", "S1", "400"], r[..3]));
            Assert.Equal(["2", "1", "25.0"], rows[0][4..]);
            Assert.Equal(["0", "0", "0.0"], rows[1][4..]);
            Assert.Equal(["1", "0", "4.0"], rows[2][4..]);
            Assert.Equal(6, rows.Select(r => r[3]).Distinct().Count());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LatencyRecorder_WhenUniformOneToThousandMs_GivesThePercentiles()
    {
        var recorder = new LatencyRecorder();
        for (var ms = 1; ms <= 1000; ms++)
        {
            recorder.RecordMicroseconds(ms * 1000L);
        }

        Assert.Equal(1000, recorder.Count);
        Assert.Equal(500, recorder.PercentileMs(50), 0.5);
        Assert.Equal(990, recorder.PercentileMs(99), 1.0);
        Assert.Equal(999, recorder.PercentileMs(99.9), 1.0);
        Assert.Equal(1000, recorder.MaxMs(), 1.0);
    }

    [Fact]
    public void LatencyRecorder_WhenEmpty_ReportsNaN()
    {
        var recorder = new LatencyRecorder();

        Assert.True(double.IsNaN(recorder.PercentileMs(99)));
        Assert.True(double.IsNaN(recorder.MaxMs()));
    }

    [Fact]
    public void CpuSampler_WhenCommandHasSpacesAndParentheses_ReadsUtimePlusStime()
    {
        // Fields 14 and 15 (utime 250, stime 50 ticks); the command name may contain ") (".
        const string line = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 30 0 1000 0 0";

        Assert.Equal(3.0, CpuSampler.ParseProcessStat(line), 3);
    }

    [Fact]
    public void CpuSampler_WithReapedChildren_AddsCutimeAndCstime_AndReadsTheParent()
    {
        // utime 250, stime 50, cutime 700, cstime 300 ticks; parent 17.
        const string line = "4242 (postgres) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 700 300 20 0 30 0 1000 0 0";

        Assert.Equal(3.0, CpuSampler.ParseProcessStat(line), 3);
        Assert.Equal(13.0, CpuSampler.ParseProcessStat(line, withReapedChildren: true), 3);
        Assert.Equal(17, CpuSampler.ParentOf(line));
    }

    [Fact]
    public async Task CpuSampler_TreeSeconds_CountsWhatAChildBurnedAfterItExits()
    {
        // A child that burns 0.5 s of its own CPU time and exits: once reaped, its time is in this process's cutime.
        var before = CpuSampler.TreeSeconds(Environment.ProcessId);
        using var child = Process.Start("python3", ["-c", "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass"]);
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        var after = CpuSampler.TreeSeconds(Environment.ProcessId);

        Assert.Equal(0, child.ExitCode);
        Assert.True(after - before >= 0.45, $"tree CPU grew by {after - before:0.00} s for a child that burned 0.5 s");
    }

    [Fact]
    public void CpuSampler_ForThisProcess_ReadsAPositiveTime()
    {
        var seconds = CpuSampler.TryReadStat(Environment.ProcessId);

        Assert.NotNull(seconds);
        Assert.True(seconds >= 0);
    }
}

public sealed class BenchReportTests
{
    private static ResultRow S1Row() => new()
    {
        Scenario = "S1", System = "ours", Load = 100, Rate = 5, PayloadBytes = "1024-4096", WarmupSeconds = 5, MeasureSeconds = 10,
        Sent = 10_000, Delivered = 9_990, P50 = 3.25, P99 = 40.5, P999 = 80, Max = 120, AckP50 = 2, AckP99 = 30,
        ServerCpuSeconds = 5, MachineBusyPercent = 90, GeneratorCpuSeconds = 4, SendLagP99 = 1.5,
    };

    [Fact]
    public async Task QuietWait_ReturnsAfterTheFirstRunOfQuietWindows_NotAtTheFirstQuietOne()
    {
        // CPU seconds read at the start and after each 1 s window: busy, quiet, busy, quiet, quiet.
        var wait = Readings(0, 0.8, 0.85, 1.6, 1.65, 1.7, 5);

        var (windows, quiet) = await wait.UntilQuietAsync(maxCoreShare: 0.1, TimeSpan.FromSeconds(1), quietWindows: 2, maxWindows: 60, TestContext.Current.CancellationToken);

        Assert.True(quiet);
        Assert.Equal(5, windows);
    }

    [Fact]
    public async Task QuietWait_WhenTheProcessesStayBusy_GivesUpAfterTheLastWindow()
    {
        var wait = Readings(0, 0.5, 1.0, 1.5, 2.0);

        var (windows, quiet) = await wait.UntilQuietAsync(maxCoreShare: 0.1, TimeSpan.FromSeconds(1), quietWindows: 1, maxWindows: 3, TestContext.Current.CancellationToken);

        Assert.False(quiet);
        Assert.Equal(3, windows);
    }

    private static QuietWait Readings(params double[] cpuSeconds)
    {
        var next = 0;
        return new QuietWait(() => cpuSeconds[next++], (_, _) => Task.CompletedTask);
    }

    [Fact]
    public void ResultRow_DerivedFigures_AreRatioThroughputAndCpuPerThousand()
    {
        var row = S1Row();

        Assert.Equal(0.999, row.DeliveredRatio, 6);
        Assert.Equal(999, row.Throughput, 6);
        Assert.Equal(5 * 1000.0 / 9.99, row.CpuMsPer1kMessages, 6);
    }

    [Fact]
    public void Csv_WhenWritten_HasOneColumnPerHeaderAndQuotesText()
    {
        var rows = new[] { S1Row(), S1Row() with { System = "peer-redis", Note = "a, \"quoted\" note", P99 = double.NaN } };

        var lines = Report.ToCsv(rows).TrimEnd('\n').Split('\n');

        Assert.Equal(3, lines.Length);
        Assert.Equal(ResultRow.CsvColumns.Length, lines[0].Split(',').Length);
        Assert.Equal(ResultRow.CsvColumns.Length, lines[1].Split(',').Length);
        Assert.StartsWith("S1,ours,100,5,1024-4096,5,10,10000,9990,0.999,", lines[1], StringComparison.Ordinal);
        Assert.Contains(",40.5,", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",\"a, \"\"quoted\"\" note\"", lines[2], StringComparison.Ordinal);
        Assert.Contains(",3.25,,80,", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_WhenWritten_NamesTheMachineAndListsEveryRow()
    {
        var run = new RunInfo(DateTimeOffset.Parse("2026-12-01T16:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "abc1234", 2, "Test CPU", 24, "1.0 1.0 1.0", "quick", ["setting one"]);
        var rows = new[]
        {
            S1Row(),
            new ResultRow { Scenario = "signal-cost", System = "ours", Load = 1, Sent = 10, Delivered = 10, P50 = 1, P99 = 2, Max = 3, Note = "Ping" },
            new ResultRow { Scenario = "S3", System = "ours", Load = 50, Rate = 50, Sent = 50, Delivered = 50, P50 = 20, P99 = 80, Note = "cold: the first calls after start" },
            new ResultRow { Scenario = "S3", System = "ours", Load = 20, Rate = 50, Sent = 20, Delivered = 20, P50 = 9, P99 = 15, Note = "warm: after S1" },
        };

        var markdown = Report.ToMarkdown(run, rows, ["a note"]);

        Assert.Contains("2 cores (nproc), Test CPU, 24 GiB RAM", markdown, StringComparison.Ordinal);
        Assert.Contains("`abc1234`", markdown, StringComparison.Ordinal);
        Assert.Contains("| S1 | ours | 100 | 5 | 9990/10000 (99.9 %) | 999 | 3.3 | 40.5 | 80.0 | 120.0 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| ours | Ping | 10 | 1.0 | 2.0 | 3.0 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| ours | cold: the first calls after start | 50 | 50 | 50/50 | 20.0 | 80.0 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| ours | warm: after S1 | 20 | 50 | 20/20 | 9.0 | 15.0 |", markdown, StringComparison.Ordinal);
        Assert.Contains("- a note", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_WhenProfileAndOverridesGiven_OverridesWin()
    {
        var options = BenchOptions.Parse(["--rooms", "50,60", "--profile", "smoke", "--systems", "limit", "--payload", "512-600"]);

        Assert.Equal("smoke", options.Profile);
        Assert.Equal([50, 60], options.RoomLevels);
        Assert.Equal(["limit"], options.Systems);
        Assert.Equal(512, options.MinPayload);
        Assert.Equal(600, options.MaxPayload);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Measure);
    }

    [Fact]
    public void Options_WhenUnknown_Throw() =>
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--profile", "forever"]));
}
