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

    /// <summary>
    /// CPU seconds of a process and its children (PostgreSQL: the postmaster and its backends): the root's own time and
    /// that of children it has reaped (cutime + cstime), plus the live children's own time. A child that exits between
    /// two readings moves from the second term to the first, so differences stay right.
    /// </summary>
    public static double TreeSeconds(int rootPid)
    {
        double total;
        try
        {
            total = ParseProcessStat(File.ReadAllText($"/proc/{rootPid}/stat"), withReapedChildren: true);
        }
        catch (IOException)
        {
            return 0;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == rootPid)
            {
                continue;
            }

            try
            {
                var line = File.ReadAllText($"{dir}/stat");
                if (ParentOf(line) == rootPid)
                {
                    total += ParseProcessStat(line);
                }
            }
            catch (IOException)
            {
                // Gone meanwhile: its time is in the root's cutime now.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return total;
    }

    /// <summary>The parent pid (field 4) of one <c>/proc/&lt;pid&gt;/stat</c> line.</summary>
    public static int ParentOf(string line) =>
        int.Parse(line[(line.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);

    /// <summary>utime + stime in seconds from one <c>/proc/&lt;pid&gt;/stat</c> line (the command may contain spaces).</summary>
    public static double ParseProcessStat(string line, bool withReapedChildren = false)
    {
        // Fields after the last ')' start at field 3 (state); utime and stime are fields 14 and 15, cutime and cstime
        // (children waited for) 16 and 17.
        var fields = line[(line.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (withReapedChildren)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }

        return ticks / TicksPerSecond;
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
