using System.Diagnostics.Metrics;

namespace Telemedicina.Grains;

/// <summary>
/// The signal payloads the rooms of this silo keep for replay, counted against one budget for the whole silo
/// (<c>Calls:ReplayBudgetMiB</c>, <see cref="DefaultMiB"/> by default). Thread-safe: every room of the silo shares it.
/// </summary>
/// <remarks>
/// Each party's replay buffer may keep up to <see cref="ReplayBuffer.MaxBytes"/>, far more than a call's signaling
/// (an SDP offer and its candidates are a few KiB). Without a bound for the silo, rooms that relay constantly filled
/// them all: at 400 benchmark rooms one silo held 1.1 GB of pinned payloads, and the pinned allocations while they
/// filled triggered gen2 collections. While the silo is over budget, a buffer that receives a signal keeps only its
/// last <see cref="ReplayBuffer.MinBytes"/>, which still covers a reconnect after a silo crash (seconds of signaling),
/// so the total comes back under the budget from the rooms that are actually relaying.
/// </remarks>
public sealed class ReplayBudget : IDisposable
{
    /// <summary>The configuration key of the budget, in MiB.</summary>
    public const string Key = "Calls:ReplayBudgetMiB";

    /// <summary>The budget when none is configured: the full signaling of thousands of calls.</summary>
    public const int DefaultMiB = 128;

    private readonly Meter? _meter;
    private long _bytes;

    public ReplayBudget(long limitBytes, IMeterFactory? meters = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        Limit = limitBytes;
        if (meters is not null)
        {
            _meter = meters.Create("Telemedicina.Calls");
            _meter.CreateObservableGauge("telemedicina.calls.replay.kept", () => Bytes, "By",
                "Signal payload bytes this silo's rooms keep for replay");
            _meter.CreateObservableGauge("telemedicina.calls.replay.budget", () => Limit, "By",
                "The silo's replay budget (Calls:ReplayBudgetMiB)");
        }
    }

    /// <summary>The budget in bytes.</summary>
    public long Limit { get; }

    /// <summary>The payload bytes kept now.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Whether the silo keeps more than its budget.</summary>
    public bool Exceeded => Bytes > Limit;

    /// <summary>Counts <paramref name="bytes"/> more (or fewer, when negative) kept.</summary>
    public void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);

    public void Dispose() => _meter?.Dispose();
}
