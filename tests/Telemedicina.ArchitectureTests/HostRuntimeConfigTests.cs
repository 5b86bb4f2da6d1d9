using System.Reflection;
using System.Text.Json;

namespace Telemedicina.ArchitectureTests;

/// <summary>
/// The runtime settings the host is built with (its runtimeconfig.json, which a publish ships next to the dll).
/// </summary>
public sealed class HostRuntimeConfigTests
{
    [Fact]
    public void IdleThreadPoolWorkers_BlockInsteadOfSpinning()
    {
        // Spinning idle workers took 12 % of a relaying machine's CPU (Telemedicina.Host.csproj, issue 8).
        var properties = HostConfigProperties();
        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var spin),
            "The host's runtimeconfig.json does not set System.Threading.ThreadPool.UnfairSemaphoreSpinLimit.");
        Assert.Equal(0, spin.GetInt32());
    }

    private static JsonElement HostConfigProperties()
    {
        // Referencing the host copies its runtimeconfig.json next to its assembly in this test's output.
        var path = Path.ChangeExtension(Assembly.Load("Telemedicina.Host").Location, ".runtimeconfig.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }
}
