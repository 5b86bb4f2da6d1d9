using System.Globalization;
using BenchmarkDotNet.Attributes;
using Telemedicina.Scheduling.Domain;

namespace Telemedicina.Bench.Micro;

/// <summary>
/// A doctor's next 30 days of slots: Monday to Friday 08:00–12:00 and 13:00–18:00 local, 20-minute consults with
/// 10 minutes after each (18 a day), with none booked or with 12 consults a day booked (240 busy spans). The
/// window starts on 2026-03-02, so New York's crosses its spring-forward change (2026-03-08).
/// </summary>
[MemoryDiagnoser]
public class SlotBenchmarks
{
    private static readonly DateTimeOffset From = DateTimeOffset.Parse("2026-03-02T00:00:00Z", CultureInfo.InvariantCulture);
    private static readonly DateTimeOffset To = From.AddDays(30);
    private readonly HashSet<DateOnly> _blocked = [];
    private Availability _availability = null!;
    private IReadOnlyList<BusySpan> _busy = [];

    [Params("America/Sao_Paulo", "America/New_York")]
    public string Zone { get; set; } = "America/Sao_Paulo";

    [Params(0, 12)]
    public int BookedPerDay { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var weekdays = new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday };
        _availability = new Availability(Guid.NewGuid(), Zone, 20, 0, 10, null, 30,
            [.. weekdays.SelectMany(d => new[] { new WeeklyInterval(d, 8 * 60, 12 * 60), new WeeklyInterval(d, 13 * 60, 18 * 60) })]);
        var free = SlotCalculator.Compute(_availability, _blocked, From, To, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, []);
        _busy = [.. free
            .GroupBy(s => s.StartsAt.UtcDateTime.Date)
            .SelectMany(day => day.Take(BookedPerDay))
            .Select(s => new BusySpan(s.StartsAt, s.EndsAt.AddMinutes(10)))];
    }

    [Benchmark]
    public int ThirtyDays() =>
        SlotCalculator.Compute(_availability, _blocked, From, To, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, _busy).Count;
}
