using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.UnitTests.Scheduling;

/// <summary>A mail's appointment time says which zone it is in.</summary>
public sealed class NotificationTimeTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 17, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("America/Sao_Paulo", "segunda-feira, 07/12 às 14:00 (horário de Brasília)")]
    [InlineData("America/Manaus", "segunda-feira, 07/12 às 13:00 (horário de Manaus, UTC−4)")]
    [InlineData("America/St_Johns", "segunda-feira, 07/12 às 13:30 (horário de St Johns, UTC−3:30)")]
    [InlineData("Europe/Lisbon", "segunda-feira, 07/12 às 17:00 (horário de Lisbon, UTC)")]
    [InlineData("Etc/UTC", "segunda-feira, 07/12 às 17:00 (UTC)")]
    public void When_GivesTheLocalTimeAndNamesTheZone(string zone, string expected) =>
        Assert.Equal(expected, Notifications.When(Start, TimeZoneInfo.FindSystemTimeZoneById(zone)));
}
