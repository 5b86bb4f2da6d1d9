using System.Diagnostics;
using System.Globalization;

namespace Telemedicina.Bench.Measurement;

/// <summary>
/// One-way latency over time: per 100 ms of send time in the measured window, the messages, those over 10 ms and the
/// slowest. A p99 says how bad the tail is; this says when it happened (every few seconds, or in one stall), to put
/// beside a silo's GC or CPU counters. Safe to record from many threads.
/// </summary>
internal sealed class LatencyTimeline(long windowStart, long windowEnd)
{
    private const long SlowMicroseconds = 10_000;
    private static readonly long BucketTicks = Stopwatch.Frequency / 10;

    private readonly long[] _count = new long[(int)((windowEnd - windowStart) / BucketTicks) + 1];
    private readonly long[] _slow = new long[(int)((windowEnd - windowStart) / BucketTicks) + 1];
    private readonly long[] _maxMicroseconds = new long[(int)((windowEnd - windowStart) / BucketTicks) + 1];

    /// <summary>A message sent at <paramref name="sentAt"/> (inside the window) and received at <paramref name="receivedAt"/>.</summary>
    public void Record(long sentAt, long receivedAt)
    {
        if (sentAt < windowStart || (sentAt - windowStart) / BucketTicks >= _count.Length)
        {
            return;
        }

        var bucket = (int)((sentAt - windowStart) / BucketTicks);

        var microseconds = (receivedAt - sentAt) * 1_000_000 / Stopwatch.Frequency;
        Interlocked.Increment(ref _count[bucket]);
        if (microseconds > SlowMicroseconds)
        {
            Interlocked.Increment(ref _slow[bucket]);
        }

        long max;
        while (microseconds > (max = Volatile.Read(ref _maxMicroseconds[bucket]))
               && Interlocked.CompareExchange(ref _maxMicroseconds[bucket], microseconds, max) != max)
        {
        }
    }

    /// <summary>Appends the rows (with the UTC time of each bucket, to line up with other logs) to a CSV file.</summary>
    public async Task AppendCsvAsync(string path, string system, string scenario, int rooms, CancellationToken cancellationToken)
    {
        var origin = DateTime.UtcNow - Stopwatch.GetElapsedTime(windowStart);
        var lines = new List<string>();
        if (!File.Exists(path))
        {
            lines.Add("system,scenario,rooms,utc,messages,over_10_ms,max_ms");
        }

        for (var i = 0; i < _count.Length; i++)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{system},{scenario},{rooms},{origin.AddTicks(i * TimeSpan.TicksPerMillisecond * 100):yyyy-MM-ddTHH:mm:ss.f},{_count[i]},{_slow[i]},{_maxMicroseconds[i] / 1000.0:0.0}"));
        }

        await File.AppendAllLinesAsync(path, lines, cancellationToken);
    }
}
