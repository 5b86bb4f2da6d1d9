using System.Diagnostics;

namespace Telemedicina.Testing;

/// <summary>
/// The end of a wait, on the monotonic clock. A deadline taken from <see cref="DateTime.UtcNow"/> moves when the wall
/// clock is stepped: a CI run's VM was paused for about 24 s and its wall clock stepped forward on resume, which cut
/// every wall-clock wait in progress short by that much.
/// </summary>
public readonly struct Deadline
{
    private readonly long _at;

    private Deadline(long at) => _at = at;

    public static Deadline In(TimeSpan timeout) => new(Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency));

    public static Deadline InSeconds(double seconds) => In(TimeSpan.FromSeconds(seconds));

    public bool Passed => Stopwatch.GetTimestamp() >= _at;
}
