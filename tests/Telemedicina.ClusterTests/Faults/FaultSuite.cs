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
