namespace Telemedicina.Audit.Privacy;

/// <summary>
/// The deadline to notify the ANPD and the affected people of a security incident: three business
/// days after it was discovered (CD/ANPD Resolution 15/2024), counted in Brasília time, skipping
/// weekends and national holidays (fixed ones and Good Friday). State and municipal holidays are not
/// counted, which can only make the deadline earlier, never later.
/// </summary>
internal static class IncidentDeadline
{
    public const int BusinessDays = 3;
    private static readonly TimeZoneInfo Brasilia = TimeZoneInfo.FindSystemTimeZoneById("America/Sao_Paulo");

    /// <summary>The end (23:59:59.999 local) of the third business day after the discovery day.</summary>
    public static DateTimeOffset NotifyBy(DateTimeOffset discoveredAt)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(discoveredAt, Brasilia).DateTime);
        for (var counted = 0; counted < BusinessDays;)
        {
            day = day.AddDays(1);
            if (IsBusinessDay(day))
            {
                counted++;
            }
        }

        var endOfDay = day.AddDays(1).ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(endOfDay, Brasilia.GetUtcOffset(endOfDay)).AddTicks(-TimeSpan.TicksPerMillisecond);
    }

    public static bool IsBusinessDay(DateOnly day) =>
        day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !IsNationalHoliday(day);

    public static bool IsNationalHoliday(DateOnly day) =>
        (day.Month, day.Day) is (1, 1) or (4, 21) or (5, 1) or (9, 7) or (10, 12) or (11, 2) or (11, 15) or (11, 20) or (12, 25)
        || day == EasterSunday(day.Year).AddDays(-2);

    // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    internal static DateOnly EasterSunday(int year)
    {
        int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
        int h = ((19 * a) + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + (2 * e) + (2 * i) - h - k) % 7;
        int m = (a + (11 * h) + (22 * l)) / 451, month = (h + l - (7 * m) + 114) / 31, dayOfMonth = ((h + l - (7 * m) + 114) % 31) + 1;
        return new DateOnly(year, month, dayOfMonth);
    }
}
