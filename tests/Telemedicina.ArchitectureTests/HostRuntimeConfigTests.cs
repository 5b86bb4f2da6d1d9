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
        // The host assembly sits next to this test's; the host's own build output has its runtimeconfig.json.
        var hostDll = Assembly.Load("Telemedicina.Host").Location;
        var candidates = new[]
        {
            Path.ChangeExtension(hostDll, ".runtimeconfig.json"),
            Path.Combine(RepoRoot(), "src", "Host", "Telemedicina.Host", "bin", BuildConfiguration, "net10.0", "Telemedicina.Host.runtimeconfig.json"),
        };
        var path = candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("The host's runtimeconfig.json was not found: " + string.Join(", ", candidates));
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    private const string BuildConfiguration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Telemedicina.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Telemedicina.sln not found above " + AppContext.BaseDirectory);
    }
}
