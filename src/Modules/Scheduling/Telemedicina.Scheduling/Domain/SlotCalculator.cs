namespace Telemedicina.Scheduling.Domain;

/// <summary>
/// Computes slots from weekly rules in the doctor's IANA time zone. Pure and DST-correct: local
/// times that do not exist (spring forward) yield no slot; a local time that occurs twice (fall
/// back) yields the first occurrence; slot length is real elapsed time.
/// </summary>
internal static class SlotCalculator
{
    /// <summary>
    /// The free slots that start in [<paramref name="from"/>, <paramref name="to"/>), between
    /// <paramref name="earliest"/> and <paramref name="latest"/>, in order; the first <paramref name="limit"/> of them
    /// only, when given (a 409's alternatives: five, usually found within the hour, out of a day's hundred).
    /// </summary>
    /// <remarks>
    /// Slots come out in start order without sorting: days in order, a day's intervals in order (they never overlap:
    /// the rules refuse that), and local wall-clock times map to instants in the same order (a repeated local time
    /// counts once, at its first occurrence; a skipped one yields nothing). So stopping at the limit gives the first ones.
    /// </remarks>
    public static IReadOnlyList<Slot> Compute(
        Availability availability,
        IReadOnlySet<DateOnly> blockedDates,
        DateTimeOffset from,
        DateTimeOffset to,
        DateTimeOffset earliest,
        DateTimeOffset latest,
        IReadOnlyList<BusySpan> busy,
        int limit = int.MaxValue)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(availability.TimeZone);
        var firstDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime).AddDays(-1);
        var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to, zone).DateTime).AddDays(1);
        var length = TimeSpan.FromMinutes(availability.SlotMinutes);
        var before = TimeSpan.FromMinutes(availability.BufferBeforeMinutes);
        var after = TimeSpan.FromMinutes(availability.BufferAfterMinutes);
        var step = availability.SlotMinutes + availability.BufferBeforeMinutes + availability.BufferAfterMinutes;
        var slots = new List<Slot>();
        var offsets = OffsetBounds(zone);
        var lowest = (from > earliest ? from : earliest).UtcDateTime;
        var highest = to.UtcDateTime;
        var afterLatest = latest == DateTimeOffset.MaxValue ? DateTime.MaxValue : latest.UtcDateTime.AddTicks(1);
        highest = afterLatest < highest ? afterLatest : highest;
        var taken = Merge(busy);
        var weekly = ByDay(availability.Weekly);

        for (var day = firstDay; day <= lastDay; day = day.AddDays(1))
        {
            if (blockedDates.Contains(day) || weekly[(int)day.DayOfWeek] is not { } intervals)
            {
                continue;
            }

            foreach (var interval in intervals)
            {
                for (var minute = interval.StartMinute + availability.BufferBeforeMinutes;
                     minute + availability.SlotMinutes + availability.BufferAfterMinutes <= interval.EndMinute;
                     minute += step)
                {
                    var local = day.ToDateTime(TimeOnly.MinValue).AddMinutes(minute);
                    // Whatever the zone's offset at that moment, the slot starts between local − maxOffset and
                    // local − minOffset (UTC): a slot that cannot fall in range is skipped before the zone's rules
                    // are searched, which is most of the days around a narrow window (ToUtc was a quarter of a
                    // silo's CPU under a booking load of all-day availability).
                    if (local - offsets.Min < lowest)
                    {
                        continue;
                    }

                    if (local - offsets.Max >= highest)
                    {
                        break;
                    }

                    if (ToUtc(local, zone) is not { } start)
                    {
                        continue;
                    }

                    var slot = new Slot(start, start + length);
                    if (start < from || start >= to || start < earliest || start > latest)
                    {
                        continue;
                    }

                    var blockFrom = start - before;
                    var blockUntil = slot.EndsAt + after;
                    if (Overlaps(taken, blockFrom, blockUntil))
                    {
                        continue;
                    }

                    slots.Add(slot);
                    if (slots.Count >= limit)
                    {
                        return slots;
                    }
                }
            }
        }

        return slots;
    }

    /// <summary>
    /// The busy spans as sorted, disjoint intervals (overlapping or touching spans joined), so that a slot is checked
    /// with a binary search instead of against every span: a doctor with twelve consults a day took 8 times as long
    /// for a month of slots as one with none (micro-benchmark, docs/benchmarks-micro.md). A zero-length span still
    /// blocks a slot that strictly contains it, as before; inverted spans (never stored) are left out.
    /// </summary>
    /// <remarks>
    /// Spans already in order (a schedule's read keeps them merged) are joined in one pass; others are sorted first.
    /// </remarks>
    internal static List<BusySpan> Merge(IReadOnlyList<BusySpan> busy)
    {
        var sorted = new List<BusySpan>(busy.Count);
        var inOrder = true;
        foreach (var span in busy)
        {
            if (span.From > span.Until)
            {
                continue;
            }

            inOrder &= sorted.Count == 0 || sorted[^1].From <= span.From;
            sorted.Add(span);
        }

        if (!inOrder)
        {
            sorted.Sort(static (a, b) => a.From.CompareTo(b.From));
        }

        var merged = new List<BusySpan>(sorted.Count);
        foreach (var span in sorted)
        {
            if (merged.Count > 0 && span.From <= merged[^1].Until)
            {
                if (span.Until > merged[^1].Until)
                {
                    merged[^1] = merged[^1] with { Until = span.Until };
                }

                continue;
            }

            merged.Add(span);
        }

        return merged;
    }

    /// <summary>The weekly intervals of each day of the week (indexed by <see cref="DayOfWeek"/>), in order; null for a day without any.</summary>
    private static List<WeeklyInterval>?[] ByDay(IReadOnlyList<WeeklyInterval> weekly)
    {
        var byDay = new List<WeeklyInterval>?[7];
        foreach (var interval in weekly)
        {
            (byDay[(int)interval.DayOfWeek] ??= []).Add(interval);
        }

        foreach (var intervals in byDay)
        {
            intervals?.Sort(static (a, b) => a.StartMinute.CompareTo(b.StartMinute));
        }

        return byDay;
    }

    /// <summary>Whether [from, until) overlaps one of the sorted, disjoint <paramref name="taken"/> spans.</summary>
    internal static bool Overlaps(List<BusySpan> taken, DateTimeOffset from, DateTimeOffset until)
    {
        // The first span that ends after `from` (ends ascend, as the spans are disjoint and sorted); it overlaps if it starts before `until`.
        int low = 0, high = taken.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (taken[middle].Until > from)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low < taken.Count && taken[low].From < until;
    }

    /// <summary>
    /// The lowest and highest UTC offsets the zone has ever had or will have by its rules, each widened by an hour
    /// (a cheap bound, never a result: every slot inside it still goes through <see cref="ToUtc"/>).
    /// </summary>
    internal static (TimeSpan Min, TimeSpan Max) OffsetBounds(TimeZoneInfo zone) => Bounds.GetOrAdd(zone.Id, static (_, zone) =>
    {
        var min = zone.BaseUtcOffset;
        var max = zone.BaseUtcOffset;
        foreach (var rule in zone.GetAdjustmentRules())
        {
            var standard = zone.BaseUtcOffset + rule.BaseUtcOffsetDelta;
            foreach (var offset in new[] { standard, standard + rule.DaylightDelta })
            {
                min = offset < min ? offset : min;
                max = offset > max ? offset : max;
            }
        }

        return (min - TimeSpan.FromHours(1), max + TimeSpan.FromHours(1));
    }, zone);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (TimeSpan Min, TimeSpan Max)> Bounds = new(StringComparer.Ordinal);

    /// <summary>The UTC instant of a local wall-clock time, or null when it does not exist in the zone.</summary>
    public static DateTimeOffset? ToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            return null;
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
