using System.Text.Json;
using Telemedicina.Scheduling.Domain;

namespace Telemedicina.UnitTests.Scheduling;

public sealed class AvailabilityRulesTests
{
    [Theory]
    [InlineData(null, 5, 5)]
    [InlineData(0, 5, 5)]
    [InlineData(3, 5, 5)]
    [InlineData(120, 5, 120)]
    [InlineData(30, 0, 30)]
    [InlineData(null, 0, 0)]
    public void EffectiveNotice_IsTheDoctorsOwnButNeverBelowThePlatformFloor(int? doctorMinutes, int floorMinutes, int expectedMinutes) =>
        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), AvailabilityRules.EffectiveNotice(doctorMinutes, TimeSpan.FromMinutes(floorMinutes)));

    [Theory]
    [InlineData("08:00", false, 480)]
    [InlineData("23:59", false, 1439)]
    [InlineData("24:00", true, 1440)]
    [InlineData("24:00", false, null)]
    [InlineData("8:00", false, null)]
    [InlineData("08:60", false, null)]
    [InlineData("ab:cd", false, null)]
    [InlineData(null, false, null)]
    public void ParseTime_AcceptsOnlyHhMm(string? value, bool endOfDay, int? expected) =>
        Assert.Equal(expected, AvailabilityRules.ParseTime(value, endOfDay));

    [Theory]
    [InlineData("\"monday\"", DayOfWeek.Monday)]
    [InlineData("\"Sunday\"", DayOfWeek.Sunday)]
    [InlineData("0", DayOfWeek.Sunday)]
    [InlineData("6", DayOfWeek.Saturday)]
    [InlineData("7", null)]
    [InlineData("\"3\"", null)]
    [InlineData("\"funday\"", null)]
    [InlineData("null", null)]
    public void ParseDay_AcceptsNamesAndNumbers(string json, DayOfWeek? expected) =>
        Assert.Equal(expected, AvailabilityRules.ParseDay(JsonDocument.Parse(json).RootElement));

    [Fact]
    public void Overlaps_FindsOnlySameDayIntersections()
    {
        var intervals = new[]
        {
            new WeeklyInterval(DayOfWeek.Monday, 480, 720),
            new WeeklyInterval(DayOfWeek.Monday, 720, 900),
            new WeeklyInterval(DayOfWeek.Monday, 700, 800),
            new WeeklyInterval(DayOfWeek.Tuesday, 480, 720),
        };
        Assert.Equal([(0, 2), (1, 2)], AvailabilityRules.Overlaps(intervals).ToArray());
    }
}
