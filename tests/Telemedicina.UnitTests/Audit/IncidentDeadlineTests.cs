using Telemedicina.Audit.Privacy;

namespace Telemedicina.UnitTests.Audit;

public sealed class IncidentDeadlineTests
{
    private static readonly TimeSpan Brasilia = TimeSpan.FromHours(-3);

    [Theory]
    // Discovered on a Monday: Tue, Wed, Thu -> end of Thursday.
    [InlineData("2026-03-02T10:00:00-03:00", "2026-03-05")]
    // Discovered on a Friday evening: Mon, Tue, Wed.
    [InlineData("2026-03-06T22:30:00-03:00", "2026-03-11")]
    // Discovered late on Friday in UTC is still Friday in Brasília... and early Saturday UTC is Friday 21:30 local.
    [InlineData("2026-03-07T00:30:00+00:00", "2026-03-11")]
    // Good Friday 2026 is April 3 and Tiradentes (April 21) a Tuesday: holidays are not business days.
    [InlineData("2026-04-01T09:00:00-03:00", "2026-04-07")]
    [InlineData("2026-04-17T09:00:00-03:00", "2026-04-23")]
    // Christmas and New Year's Day.
    [InlineData("2026-12-23T09:00:00-03:00", "2026-12-29")]
    [InlineData("2026-12-31T09:00:00-03:00", "2027-01-06")]
    public void NotifyBy_IsTheEndOfTheThirdBusinessDayInBrasilia(string discovered, string lastDay)
    {
        var deadline = IncidentDeadline.NotifyBy(DateTimeOffset.Parse(discovered, System.Globalization.CultureInfo.InvariantCulture));

        var local = deadline.ToOffset(Brasilia);
        Assert.Equal(DateOnly.Parse(lastDay, System.Globalization.CultureInfo.InvariantCulture), DateOnly.FromDateTime(local.DateTime));
        Assert.Equal(new TimeOnly(23, 59, 59, 999), TimeOnly.FromDateTime(local.DateTime));
    }

    [Theory]
    [InlineData(2024, 3, 31)]
    [InlineData(2025, 4, 20)]
    [InlineData(2026, 4, 5)]
    [InlineData(2027, 3, 28)]
    public void EasterSunday_MatchesTheCalendar(int year, int month, int day) =>
        Assert.Equal(new DateOnly(year, month, day), IncidentDeadline.EasterSunday(year));
}
