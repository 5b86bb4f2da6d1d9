namespace Telemedicina.ClusterTests.Security;

/// <summary>
/// The fault-injection settings (<c>Faults:*</c>) break the product on purpose for the cluster tests: lost answers,
/// stalled reads, a stop held half-way. A production host configured with any of them must refuse to start, saying
/// why, rather than run with a fault.
/// </summary>
[Collection("Security tests with extra silos")]
public sealed class FaultInjectionRefusalTests(ClusterFixture fixture)
{
    [Theory]
    [InlineData("Faults__LoseRoomAnswersContaining", "candidate")]
    [InlineData("Faults__LoseDeliveriesContaining", "candidate")]
    [InlineData("Faults__DelayPresenceReads", "00:00:05")]
    [InlineData("Faults__StallPresence", "00:00:05")]
    [InlineData("Faults__StallRoomReads", "00:00:05")]
    [InlineData("Faults__StallCalendars", "00:00:05")]
    [InlineData("Faults__HoldShutdown", "00:00:05")]
    [InlineData("Faults__RefuseRestores", "1")]
    public async Task AProductionHost_WithAFaultConfigured_RefusesToStart(string key, string value)
    {
        var silo = fixture.Cluster.AddStandaloneSilo(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            [key] = value,
        });

        var exitCode = await silo.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("refused in Production", silo.Tail(), StringComparison.Ordinal);
    }
}
