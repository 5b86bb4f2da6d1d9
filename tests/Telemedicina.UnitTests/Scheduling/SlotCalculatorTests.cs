using Telemedicina.Scheduling.Domain;

namespace Telemedicina.UnitTests.Scheduling;

public sealed class SlotCalculatorTests
{
    private static readonly DateTimeOffset Past = DateTimeOffset.MinValue;
    private static readonly DateTimeOffset Future = DateTimeOffset.MaxValue;

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private static Availability Daily(string zone, int startMinute, int endMinute, int slot = 30, int before = 0, int after = 0) =>
        new(Guid.NewGuid(), zone, slot, before, after, null, 30,
            Enum.GetValues<DayOfWeek>().Select(d => new WeeklyInterval(d, startMinute, endMinute)).ToList());

    private static IReadOnlyList<Slot> Day(Availability availability, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<BusySpan>? busy = null) =>
        SlotCalculator.Compute(availability, new HashSet<DateOnly>(), from, to, Past, Future, busy ?? []);

    [Fact]
    public void Compute_WhenNewYorkSpringsForward_SkipsTheMissingHourAndKeepsRealDuration()
    {
        // 2026-03-08 02:00 EST → 03:00 EDT. Slots 01:00–04:00 local: 02:00 and 02:30 do not exist.
        var availability = Daily("America/New_York", 60, 240);
        var slots = Day(availability, At("2026-03-08T00:00:00Z"), At("2026-03-09T00:00:00Z"));
        var starts = slots.Select(s => s.StartsAt.UtcDateTime.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        // 01:00 EST = 06:00Z, 01:30 EST = 06:30Z, 03:00 EDT = 07:00Z, 03:30 EDT = 07:30Z.
        Assert.Equal(["06:00", "06:30", "07:00", "07:30"], starts);
        Assert.All(slots, s => Assert.Equal(TimeSpan.FromMinutes(30), s.EndsAt - s.StartsAt));
    }

    [Fact]
    public void Compute_WhenNewYorkFallsBack_GivesTheRepeatedHourOnce()
    {
        // 2026-11-01 02:00 EDT → 01:00 EST: 01:00–01:59 happens twice; we offer the first occurrence.
        var availability = Daily("America/New_York", 60, 150);
        var slots = Day(availability, At("2026-11-01T00:00:00Z"), At("2026-11-02T00:00:00Z"));
        Assert.Equal(
            [At("2026-11-01T05:00:00Z"), At("2026-11-01T05:30:00Z"), At("2026-11-01T07:00:00Z")],
            slots.Select(s => s.StartsAt));
    }

    [Fact]
    public void Compute_InLisbonAcrossSummerTime_KeepsLocalWallClock()
    {
        // Lisbon: WET (UTC+0) until 2026-03-29 01:00 UTC, then WEST (UTC+1). A 09:00 slot moves from 09:00Z to 08:00Z.
        var availability = Daily("Europe/Lisbon", 9 * 60, 9 * 60 + 30);
        var slots = Day(availability, At("2026-03-28T00:00:00Z"), At("2026-03-30T00:00:00Z"));
        Assert.Equal([At("2026-03-28T09:00:00Z"), At("2026-03-29T08:00:00Z")], slots.Select(s => s.StartsAt));
    }

    [Fact]
    public void Compute_InLisbonSpringForward_SkipsTheNonexistentHour()
    {
        // 2026-03-29 01:00 WET → 02:00 WEST: 01:00 and 01:30 local do not exist.
        var availability = Daily("Europe/Lisbon", 0, 180);
        var slots = Day(availability, At("2026-03-29T00:00:00Z"), At("2026-03-29T03:00:00Z"));
        Assert.Equal(
            [At("2026-03-29T00:00:00Z"), At("2026-03-29T00:30:00Z"), At("2026-03-29T01:00:00Z"), At("2026-03-29T01:30:00Z")],
            slots.Select(s => s.StartsAt));
    }

    [Fact]
    public void Compute_InSaoPauloWhenBrazilHadSummerTime_SkipsMidnightGap()
    {
        // Brazil's last summer time began 2018-11-04 at 00:00 (clocks to 01:00). 00:00 and 00:30 did not exist.
        var availability = Daily("America/Sao_Paulo", 0, 120);
        var slots = Day(availability, At("2018-11-04T02:00:00Z"), At("2018-11-04T06:00:00Z"));
        Assert.Equal([At("2018-11-04T03:00:00Z"), At("2018-11-04T03:30:00Z")], slots.Select(s => s.StartsAt));
    }

    [Fact]
    public void Compute_InSaoPauloToday_IsUtcMinusThreeAllYear()
    {
        var availability = Daily("America/Sao_Paulo", 8 * 60, 9 * 60);
        var january = Day(availability, At("2026-01-15T00:00:00Z"), At("2026-01-16T00:00:00Z"));
        var july = Day(availability, At("2026-07-15T00:00:00Z"), At("2026-07-16T00:00:00Z"));
        Assert.Equal(At("2026-01-15T11:00:00Z"), january[0].StartsAt);
        Assert.Equal(At("2026-07-15T11:00:00Z"), july[0].StartsAt);
    }

    [Fact]
    public void Compute_WithBuffers_SpacesSlotsAndTreatsBuffersAsBusy()
    {
        // 08:00–10:00 UTC, 30 min slots, 10 min before and 5 after: starts at 08:10, 08:55 (and 09:40 would end 10:10+5 > 10:00).
        var availability = Daily("UTC", 8 * 60, 10 * 60, slot: 30, before: 10, after: 5);
        var from = At("2026-05-04T00:00:00Z");
        var slots = Day(availability, from, from.AddDays(1));
        Assert.Equal([At("2026-05-04T08:10:00Z"), At("2026-05-04T08:55:00Z")], slots.Select(s => s.StartsAt));

        // Another appointment's block ending at 08:50 does not touch the 08:55 slot's block (08:45–09:30)? It does: 08:45 < 08:50.
        var busy = new[] { new BusySpan(At("2026-05-04T08:00:00Z"), At("2026-05-04T08:50:00Z")) };
        Assert.Empty(Day(availability, from, from.AddDays(1), busy));
    }

    [Fact]
    public void Compute_HonoursNoticeWindowAndBlockedDates()
    {
        var availability = Daily("UTC", 8 * 60, 12 * 60, slot: 60);
        var from = At("2026-05-04T00:00:00Z");
        var earliest = At("2026-05-04T09:30:00Z");
        var latest = At("2026-05-05T09:00:00Z");
        var blocked = new HashSet<DateOnly> { new(2026, 5, 6) };
        var slots = SlotCalculator.Compute(availability, blocked, from, from.AddDays(3), earliest, latest, []);
        Assert.Equal(
            [At("2026-05-04T10:00:00Z"), At("2026-05-04T11:00:00Z"), At("2026-05-05T08:00:00Z"), At("2026-05-05T09:00:00Z")],
            slots.Select(s => s.StartsAt));
    }

    [Fact]
    public void BusySpans_MergedAndSearched_AnswerExactlyAsCheckingEverySpan()
    {
        // Random spans on a 5-minute grid: overlapping, touching, nested, zero-length and unsorted.
        var random = new Random(20261202);
        var origin = At("2026-05-04T00:00:00Z");
        DateTimeOffset T(int steps) => origin.AddMinutes(steps * 5);
        for (var round = 0; round < 300; round++)
        {
            var busy = Enumerable.Range(0, random.Next(0, 25))
                .Select(_ => random.Next(0, 200))
                .Select(start => new BusySpan(T(start), T(start + random.Next(0, 12))))
                .ToList();
            var taken = SlotCalculator.Merge(busy);
            Assert.All(taken.Zip(taken.Skip(1)), pair => Assert.True(pair.First.Until < pair.Second.From, "merged spans are sorted and apart"));
            // Spans given in order (no sort) and spans merged already (a schedule's read keeps them so) merge the same.
            Assert.Equal(taken, SlotCalculator.Merge([.. busy.OrderBy(b => b.From)]));
            Assert.Equal(taken, SlotCalculator.Merge(taken));
            for (var probe = 0; probe < 60; probe++)
            {
                var from = random.Next(-5, 210);
                var (blockFrom, blockUntil) = (T(from), T(from + random.Next(1, 10)));
                var expected = busy.Any(b => b.From < blockUntil && blockFrom < b.Until);
                Assert.Equal(expected, SlotCalculator.Overlaps(taken, blockFrom, blockUntil));
            }
        }
    }

    [Fact]
    public void Compute_WithADayFullOfAppointments_LeavesOnlyTheGaps()
    {
        // 08:00–12:00 UTC, 30-minute slots; booked 08:00–09:00 (two appointments touching) and 10:30–11:00 inside a longer block 10:00–11:00.
        var availability = Daily("UTC", 8 * 60, 12 * 60);
        var from = At("2026-05-04T00:00:00Z");
        var busy = new[]
        {
            new BusySpan(At("2026-05-04T08:30:00Z"), At("2026-05-04T09:00:00Z")),
            new BusySpan(At("2026-05-04T10:30:00Z"), At("2026-05-04T11:00:00Z")),
            new BusySpan(At("2026-05-04T08:00:00Z"), At("2026-05-04T08:30:00Z")),
            new BusySpan(At("2026-05-04T10:00:00Z"), At("2026-05-04T11:00:00Z")),
        };
        Assert.Equal(
            [At("2026-05-04T09:00:00Z"), At("2026-05-04T09:30:00Z"), At("2026-05-04T11:00:00Z"), At("2026-05-04T11:30:00Z")],
            Day(availability, from, from.AddDays(1), busy).Select(s => s.StartsAt));
    }

    public static TheoryData<string> Zones => new()
    {
        "America/Sao_Paulo", "America/New_York", "Europe/Lisbon", "Australia/Lord_Howe", "Asia/Kathmandu",
        "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns", "UTC",
    };

    [Theory]
    [MemberData(nameof(Zones))]
    public void Compute_OnANarrowWindow_GivesExactlyTheSlotsAWideWindowHasThere(string zone)
    {
        // All-day availability, 15-minute slots and a 5-minute buffer: windows from one tick to a day, placed around
        // this year's and Brazil's last summer-time transitions, must hold exactly what a week-wide computation holds
        // between the same instants (the calculator skips slots that cannot fall in the window before the zone's rules).
        var availability = Daily(zone, 0, 24 * 60, slot: 15, after: 5);
        var anchors = new[]
        {
            At("2026-03-08T06:50:00Z"), At("2026-11-01T05:55:00Z"), At("2026-03-29T00:40:00Z"), At("2026-04-04T14:20:00Z"),
            At("2026-10-03T15:35:00Z"), At("2018-11-04T02:45:00Z"), At("2019-02-17T01:10:00Z"), At("2026-07-15T11:00:00Z"),
        };
        var widths = new[] { TimeSpan.FromTicks(1), TimeSpan.FromMinutes(20), TimeSpan.FromHours(3), TimeSpan.FromDays(1) };
        foreach (var anchor in anchors)
        {
            var wide = Day(availability, anchor.AddDays(-4), anchor.AddDays(5));
            for (var shift = -26 * 60; shift <= 26 * 60; shift += 97)
            {
                var from = anchor.AddMinutes(shift);
                foreach (var width in widths)
                {
                    var to = from + width;
                    Assert.Equal(wide.Where(s => s.StartsAt >= from && s.StartsAt < to), Day(availability, from, to));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void Compute_GivesSlotsInStartOrder_AndALimitGivesTheFirstOnes(string zone)
    {
        // Three intervals a day, listed out of order, 25-minute slots with buffers, across this year's and Brazil's
        // last summer-time transitions and a day of appointments: the calculator does not sort, so its order is the
        // order it walks days, intervals and wall-clock times in; with a limit it stops there.
        var weekly = Enum.GetValues<DayOfWeek>()
            .SelectMany(d => new[] { new WeeklyInterval(d, 18 * 60, 24 * 60), new WeeklyInterval(d, 0, 150), new WeeklyInterval(d, 8 * 60, 12 * 60) })
            .ToList();
        var availability = new Availability(Guid.NewGuid(), zone, 25, 5, 10, null, 30, weekly);
        foreach (var anchor in new[] { At("2026-03-08T06:50:00Z"), At("2026-11-01T05:55:00Z"), At("2026-04-04T14:20:00Z"), At("2018-11-04T02:45:00Z"), At("2019-02-17T01:10:00Z") })
        {
            var busy = Enumerable.Range(0, 12).Select(i => new BusySpan(anchor.AddMinutes(95 * i), anchor.AddMinutes(95 * i + 40))).ToList();
            var from = anchor.AddDays(-1);
            var all = Day(availability, from, anchor.AddDays(2), busy);
            Assert.True(all.Count > 20, $"{all.Count} slots around {anchor:O} in {zone}");
            Assert.Equal(all.OrderBy(s => s.StartsAt).Select(s => s.StartsAt), all.Select(s => s.StartsAt));
            Assert.Equal(all.Select(s => s.StartsAt).Distinct().Count(), all.Count);
            foreach (var limit in new[] { 1, 5, all.Count - 1, all.Count, all.Count + 1 })
            {
                Assert.Equal(all.Take(limit), SlotCalculator.Compute(availability, new HashSet<DateOnly>(), from, anchor.AddDays(2), Past, Future, busy, limit));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void OffsetBounds_HoldEveryOffsetTheZoneHas(string zone)
    {
        var info = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var (min, max) = SlotCalculator.OffsetBounds(info);
        for (var instant = At("1970-01-01T00:00:00Z"); instant < At("2040-01-01T00:00:00Z"); instant = instant.AddHours(5))
        {
            var offset = info.GetUtcOffset(instant);
            Assert.InRange(offset, min, max);
        }
    }
}
