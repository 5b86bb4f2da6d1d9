namespace Telemedicina.Scheduling.Domain;

/// <summary>
/// Computes slots from weekly rules in the doctor's IANA time zone. Pure and DST-correct: local
/// times that do not exist (spring forward) yield no slot; a local time that occurs twice (fall
/// back) yields the first occurrence; slot length is real elapsed time.
/// </summary>
internal static class SlotCalculator
{
    public static IReadOnlyList<Slot> Compute(
        Availability availability,
        IReadOnlySet<DateOnly> blockedDates,
        DateTimeOffset from,
        DateTimeOffset to,
        DateTimeOffset earliest,
        DateTimeOffset latest,
        IReadOnlyList<BusySpan> busy)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(availability.TimeZone);
        var firstDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime).AddDays(-1);
        var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to, zone).DateTime).AddDays(1);
        var length = TimeSpan.FromMinutes(availability.SlotMinutes);
        var before = TimeSpan.FromMinutes(availability.BufferBeforeMinutes);
        var after = TimeSpan.FromMinutes(availability.BufferAfterMinutes);
        var step = availability.SlotMinutes + availability.BufferBeforeMinutes + availability.BufferAfterMinutes;
        var slots = new List<Slot>();

        for (var day = firstDay; day <= lastDay; day = day.AddDays(1))
        {
            if (blockedDates.Contains(day))
            {
                continue;
            }

            foreach (var interval in availability.Weekly.Where(w => w.DayOfWeek == day.DayOfWeek).OrderBy(w => w.StartMinute))
            {
                for (var minute = interval.StartMinute + availability.BufferBeforeMinutes;
                     minute + availability.SlotMinutes + availability.BufferAfterMinutes <= interval.EndMinute;
                     minute += step)
                {
                    var local = day.ToDateTime(TimeOnly.MinValue).AddMinutes(minute);
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
                    if (busy.Any(b => b.From < blockUntil && blockFrom < b.Until))
                    {
                        continue;
                    }

                    slots.Add(slot);
                }
            }
        }

        return slots.OrderBy(s => s.StartsAt).ToList();
    }

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
