namespace Telemedicina.ClusterTests.Faults;

/// <summary>
/// The fault and soak tests break or load whole clusters and report timings: they run one at a time, after the
/// parallel tests, so they neither disturb the others nor measure each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultSuite
{
    public const string Name = "faults";
}

/// <summary>Switches of the fault and soak suites.</summary>
internal static class FaultSettings
{
    /// <summary><c>TELEMEDICINA_HEAVY=1</c>: bigger and longer variants (not in the default CI run).</summary>
    public static bool Heavy { get; } = Environment.GetEnvironmentVariable("TELEMEDICINA_HEAVY") == "1";
}
