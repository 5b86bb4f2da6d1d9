using System.Diagnostics;
using HdrHistogram;

namespace Telemedicina.Bench.Measurement;

/// <summary>
/// An HDR histogram of latencies in microseconds (1 µs to 5 min, 3 significant digits), safe to record
/// from many threads. Percentiles come out in milliseconds.
/// </summary>
internal sealed class LatencyRecorder
{
    private static readonly long Highest = (long)TimeSpan.FromMinutes(5).TotalMicroseconds;
    private readonly LongHistogram _histogram = new(Highest, 3);
    private readonly Lock _gate = new();

    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _histogram.TotalCount;
            }
        }
    }

    /// <summary>Records the time between two <see cref="Stopwatch.GetTimestamp"/> readings.</summary>
    public void RecordTicks(long from, long to) => RecordMicroseconds(TicksToMicroseconds(to - from));

    public void RecordMicroseconds(long microseconds)
    {
        var value = Math.Clamp(microseconds, 1, Highest);
        lock (_gate)
        {
            _histogram.RecordValue(value);
        }
    }

    /// <summary>The latency at <paramref name="percentile"/> (0..100) in milliseconds; NaN when nothing was recorded.</summary>
    public double PercentileMs(double percentile)
    {
        lock (_gate)
        {
            return _histogram.TotalCount == 0 ? double.NaN : _histogram.GetValueAtPercentile(percentile) / 1000.0;
        }
    }

    public double MaxMs()
    {
        lock (_gate)
        {
            return _histogram.TotalCount == 0 ? double.NaN : _histogram.GetMaxValue() / 1000.0;
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _histogram.Reset();
        }
    }

    public static long TicksToMicroseconds(long ticks) => (long)(ticks * 1_000_000.0 / Stopwatch.Frequency);
}
