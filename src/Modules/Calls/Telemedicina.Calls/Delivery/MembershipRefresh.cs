using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Telemedicina.Calls.Delivery;

/// <summary>
/// Re-reads the cluster membership table when this silo fails to reach a grain's silo, at most twice a second.
/// </summary>
/// <remarks>
/// When two silos vote a crashed silo out at the same moment, one write to the table wins and the other fails on the
/// version check. The losing silo learns of the death from the winner's gossip or when its next probe of the dead
/// silo fails and it reads the table again. During a failover every silo is short of CPU: in the failover benchmark
/// one survivor learned of the death 1.1 s after the table recorded it, and until then it could not re-activate a
/// single room of the dead silo. Failures to reach a silo are what the clients' retries produce during exactly that
/// window, so they trigger a read (Orleans coalesces concurrent reads into one).
/// </remarks>
public sealed partial class MembershipRefresh(IClusterMembershipService membership, ILogger<MembershipRefresh> logger)
{
    /// <summary>Shortest time between two reads of the table started here.</summary>
    internal static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(500);

    private static readonly long IntervalTicks = (long)(MinInterval.TotalSeconds * Stopwatch.Frequency);

    private long _notBefore;

    /// <summary>A call to a grain failed because its silo could not be reached (or did not answer).</summary>
    public void OnUnreachable()
    {
        var now = Stopwatch.GetTimestamp();
        var notBefore = Interlocked.Read(ref _notBefore);
        if (now < notBefore || Interlocked.CompareExchange(ref _notBefore, now + IntervalTicks, notBefore) != notBefore)
        {
            return;
        }

        _ = RefreshAsync();
    }

    private async Task RefreshAsync()
    {
        try
        {
            await membership.Refresh();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The next failure tries again; the periodic read and gossip still run.
            LogRefreshFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-reading cluster membership after a silo could not be reached failed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
