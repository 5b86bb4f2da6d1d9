using System.Reflection;

namespace Telemedicina.ArchitectureTests;

/// <summary>The dependency rules of the modular monolith (README "Dependency rules"), checked on the built assemblies.</summary>
public sealed class DependencyRulesTests
{
    public static TheoryData<string> Modules => new() { "Identity", "Scheduling", "Audit", "Calls" };

    public static TheoryData<string> ContractsAssemblies => new()
    {
        "Telemedicina.Identity.Contracts", "Telemedicina.Scheduling.Contracts", "Telemedicina.Audit.Contracts",
    };

    private static readonly string[] ModuleNames = ["Identity", "Scheduling", "Audit", "Calls"];

    [Theory]
    [MemberData(nameof(Modules))]
    public void Module_ReferencesNoOtherModuleImplementation(string module)
    {
        var references = References($"Telemedicina.{module}");
        var others = ModuleNames.Where(m => m != module).Select(m => $"Telemedicina.{m}");
        Assert.Empty(references.Intersect(others));
    }

    [Theory]
    [MemberData(nameof(ContractsAssemblies))]
    public void Contracts_ReferenceNothingHeavierThanOtherContracts(string contracts)
    {
        var references = References(contracts);
        var forbidden = references.Where(r =>
            r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) ||
            r.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) ||
            r.StartsWith("Orleans", StringComparison.Ordinal) ||
            r.StartsWith("Npgsql", StringComparison.Ordinal) ||
            (r.StartsWith("Telemedicina.", StringComparison.Ordinal) && !r.EndsWith(".Contracts", StringComparison.Ordinal)));
        Assert.Empty(forbidden);
    }

    [Fact]
    public void Grains_NeverReferenceSignalROrModuleImplementations()
    {
        foreach (var grains in new[] { "Telemedicina.Grains", "Telemedicina.Grains.Abstractions" })
        {
            var references = References(grains);
            Assert.DoesNotContain(references, r => r.Contains("SignalR", StringComparison.Ordinal) || r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
            Assert.Empty(references.Intersect(ModuleNames.Select(m => $"Telemedicina.{m}")));
        }
    }

    [Fact]
    public void NothingButTests_ReferencesTheHost()
    {
        var product = new[]
        {
            "Telemedicina.BuildingBlocks", "Telemedicina.Grains", "Telemedicina.Grains.Abstractions",
            "Telemedicina.Identity", "Telemedicina.Scheduling", "Telemedicina.Audit", "Telemedicina.Calls",
            "Telemedicina.Identity.Contracts", "Telemedicina.Scheduling.Contracts", "Telemedicina.Audit.Contracts",
        };
        Assert.All(product, name => Assert.DoesNotContain("Telemedicina.Host", References(name)));
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public void Module_ExposesOnlyItsModuleClassAndHubSurface(string module)
    {
        var assembly = Assembly.Load($"Telemedicina.{module}");
        var exported = assembly.GetExportedTypes().Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Contains($"{module}Module", exported);
        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            $"{module}Module", $"{module}Settings", "IdentitySettings", "SchedulingSettings", "CallsSettings", "TurnSettings",
            "DemoAccounts", "ConsultationHub", "JoinRoomResult", "SelfView", "SiloDelivery", "IceServers", "IceServer", "IceServersResponse",
            // Constructor dependencies of the public hub (a public constructor cannot take internal types).
            "LocalConnections", "MembershipRecovery", "MembershipRefresh",
        };
        Assert.DoesNotContain(exported, t => !allowed.Contains(t));
    }

    private static HashSet<string> References(string assemblyName) =>
        Assembly.Load(assemblyName).GetReferencedAssemblies().Select(a => a.Name!).ToHashSet(StringComparer.Ordinal);
}
