namespace Telemedicina.Bench.Measurement;

/// <summary>
/// Waits until some processes have gone quiet: their CPU use, read once per window, stays under a share of one core
/// for a number of windows in a row. A measurement meant for the steady state (the warm S3 batch) then starts once the
/// backlog of the previous load has been worked off, rather than after a fixed pause that a loaded box may outlast.
/// </summary>
internal sealed class QuietWait(Func<double> cpuSeconds, Func<TimeSpan, CancellationToken, Task> delay)
{
    public static QuietWait ForProcesses(Func<IEnumerable<int>> pids) =>
        new(() => CpuSampler.ProcessSeconds(pids()), (span, ct) => Task.Delay(span, ct));

    /// <summary>
    /// Returns how many windows it waited and whether the processes went quiet (false: gave up after
    /// <paramref name="maxWindows"/>).
    /// </summary>
    public async Task<(int Windows, bool Quiet)> UntilQuietAsync(
        double maxCoreShare, TimeSpan window, int quietWindows, int maxWindows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quietWindows, 1);
        var inARow = 0;
        var before = cpuSeconds();
        for (var waited = 1; waited <= maxWindows; waited++)
        {
            await delay(window, cancellationToken);
            var now = cpuSeconds();
            inARow = (now - before) / window.TotalSeconds < maxCoreShare ? inARow + 1 : 0;
            before = now;
            if (inARow >= quietWindows)
            {
                return (waited, true);
            }
        }

        return (maxWindows, false);
    }
}
