using System.Globalization;

namespace Telemedicina.Bench.Reporting;

/// <summary>Where and how a benchmark run happened: printed at the top of the report.</summary>
internal sealed record RunInfo(
    DateTimeOffset StartedAt,
    string Commit,
    int Cores,
    string CpuModel,
    double RamGiB,
    string LoadAverage,
    string Profile,
    IReadOnlyList<string> Settings)
{
    public static RunInfo Collect(string commit, string profile, IReadOnlyList<string> settings) => new(
        DateTimeOffset.UtcNow,
        commit,
        Environment.ProcessorCount,
        ReadCpuModel(),
        ReadRamGiB(),
        ReadLoadAverage(),
        profile,
        settings);

    public static string ReadLoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    public static double ReadLoadAverage1()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    private static string ReadCpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static double ReadRamGiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kib = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return kib / 1024.0 / 1024.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}
