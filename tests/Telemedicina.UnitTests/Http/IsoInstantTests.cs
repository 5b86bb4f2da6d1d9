using Telemedicina.BuildingBlocks.Http;

namespace Telemedicina.UnitTests.Http;

/// <summary>The API's instants are ISO 8601 only: culture formats are refused, not read month first.</summary>
public sealed class IsoInstantTests
{
    [Theory]
    [InlineData("2026-12-07", "2026-12-07T00:00:00+00:00")]
    [InlineData("2026-12-07T17:00", "2026-12-07T17:00:00+00:00")]
    [InlineData("2026-12-07T17:00:00Z", "2026-12-07T17:00:00+00:00")]
    [InlineData("2026-12-07t17:00:00z", "2026-12-07T17:00:00+00:00")]
    [InlineData("2026-12-07T17:00:00.123Z", "2026-12-07T17:00:00.123+00:00")]
    [InlineData("2026-12-07T14:00:00-03:00", "2026-12-07T17:00:00+00:00")]
    [InlineData("2026-12-07T14:00:00-0300", "2026-12-07T17:00:00+00:00")]
    public void Iso8601_IsReadAsUtc(string value, string expected)
    {
        Assert.True(IsoInstant.TryParse(value, out var instant));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), instant);
        Assert.Equal(TimeSpan.Zero, instant.Offset);
    }

    [Theory]
    [InlineData("12/07/2026 17:00")] // read as 7 December before
    [InlineData("06/12/2026")]
    [InlineData("Dec 31 2026")]
    [InlineData("2026-12-07 17:00")] // no T
    [InlineData("2026-12-7")]
    [InlineData("2026-13-01")]
    [InlineData("2026-12-07T25:00")]
    [InlineData("1999-12-31")]
    [InlineData("2201-01-01")]
    [InlineData("２０２６-12-07")] // full-width digits
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    public void AnythingElse_IsRefused(string? value) => Assert.False(IsoInstant.TryParse(value, out _));

    [Theory]
    [InlineData("2026-12-07T17:00:00Z", true)]
    [InlineData("2026-12-07T14:00:00-03:00", true)]
    [InlineData("2026-12-07T14:00-0300", true)]
    [InlineData("2026-12-07T17:00:00.5z", true)]
    [InlineData("2026-12-07T14:00:00", false)] // a São Paulo client's local time, read as UTC before
    [InlineData("2026-12-07T14:00", false)]
    [InlineData("2026-12-07", false)]
    [InlineData(null, false)]
    public void AChosenInstant_MustSayItsOffset(string? value, bool accepted) =>
        Assert.Equal(accepted, IsoInstant.TryParseWithOffset(value, out _));
}
