using System.Globalization;
using System.Text.Json;

namespace Telemedicina.Scheduling.Domain;

/// <summary>Parsing and validation of availability input (pure, unit-tested).</summary>
internal static class AvailabilityRules
{
    /// <summary>
    /// How long ahead of its start a slot can be booked: the doctor's own notice, but never less than the platform's
    /// floor (a doctor's 0 does not let a patient book a consultation starting now).
    /// </summary>
    public static TimeSpan EffectiveNotice(int? doctorMinutes, TimeSpan platformFloor) =>
        TimeSpan.FromMinutes(Math.Max(doctorMinutes ?? 0, platformFloor.TotalMinutes));

    /// <summary>Parses "HH:mm" to minutes since midnight; "24:00" is allowed as an end.</summary>
    public static int? ParseTime(string? value, bool allowEndOfDay)
    {
        if (value is null || value.Length != 5 || value[2] != ':')
        {
            return null;
        }

        if (allowEndOfDay && value == "24:00")
        {
            return 1440;
        }

        return TimeOnly.TryParseExact(value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time.Hour * 60 + time.Minute
            : null;
    }

    public static string FormatTime(int minutes) =>
        minutes == 1440 ? "24:00" : $"{minutes / 60:00}:{minutes % 60:00}";

    /// <summary>Accepts "monday".."sunday" (any case) or 0..6 (0 = Sunday).</summary>
    public static DayOfWeek? ParseDay(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number is >= 0 and <= 6)
        {
            return (DayOfWeek)number;
        }

        if (value.ValueKind == JsonValueKind.String && Enum.TryParse<DayOfWeek>(value.GetString(), ignoreCase: true, out var day)
            && Enum.IsDefined(day) && !int.TryParse(value.GetString(), out _))
        {
            return day;
        }

        return null;
    }

    public static string FormatDay(DayOfWeek day) => day.ToString().ToLowerInvariant();

    /// <summary>Pairs of intervals (by index) that overlap on the same weekday.</summary>
    public static IEnumerable<(int First, int Second)> Overlaps(IReadOnlyList<WeeklyInterval> intervals)
    {
        for (var i = 0; i < intervals.Count; i++)
        {
            for (var j = i + 1; j < intervals.Count; j++)
            {
                var a = intervals[i];
                var b = intervals[j];
                if (a.DayOfWeek == b.DayOfWeek && a.StartMinute < b.EndMinute && b.StartMinute < a.EndMinute)
                {
                    yield return (i, j);
                }
            }
        }
    }
}
