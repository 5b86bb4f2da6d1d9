namespace Telemedicina.BrowserTests;

/// <summary>
/// The crash tests stop a silo of a three-silo cluster mid-call and time the recovery: they run one at a time,
/// after the parallel browser tests, so another video call on the same two cores does not starve the recovery
/// they time (a fresh-clone run had the survivors stalled for seconds by CPU starvation, load average 40).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CrashSuite
{
    public const string Name = "crashes";
}
