using System.Globalization;

namespace Telemedicina.Bench.Measurement;

/// <summary>
/// CPU time of processes read from <c>/proc/&lt;pid&gt;/stat</c> (utime + stime, all threads), and the
/// machine's busy share from <c>/proc/stat</c>, so a result can say how loaded the box was.
/// </summary>
internal static class CpuSampler
{
    // USER_HZ: the unit of the tick fields; 100 on every Linux ABI this runs on.
    private const double TicksPerSecond = 100.0;

    /// <summary>Total CPU seconds used so far by the given processes (processes gone count as 0).</summary>
    public static double ProcessSeconds(IEnumerable<int> pids) => pids.Sum(pid => TryReadStat(pid) ?? 0);

    public static double? TryReadStat(int pid)
    {
        try
        {
            return ParseProcessStat(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>utime + stime in seconds from one <c>/proc/&lt;pid&gt;/stat</c> line (the command may contain spaces).</summary>
    public static double ParseProcessStat(string line)
    {
        // Fields after the last ')' start at field 3 (state); utime and stime are fields 14 and 15.
        var fields = line[(line.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    /// <summary>Busy and total jiffies of the whole machine (first line of /proc/stat).</summary>
    public static (long Busy, long Total) Machine()
    {
        var first = File.ReadLines("/proc/stat").First();
        var values = first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var idle = values[3] + (values.Length > 4 ? values[4] : 0);
        var total = values.Take(8).Sum();
        return (total - idle, total);
    }
}
