using Telemedicina.Identity.Application;

namespace Telemedicina.UnitTests.Identity;

/// <summary>How long a silo waits before listening for revocations again after its listening connection broke.</summary>
public sealed class RevocationListenPauseTests
{
    [Fact]
    public void TheFirstBreakInARow_ListensAgainAtOnce_ThenThePauseDoubles_UpToThePollInterval()
    {
        var interval = TimeSpan.FromSeconds(5);

        Assert.Null(AccessRevocations.ListenPause(0, interval));
        Assert.Null(AccessRevocations.ListenPause(1, interval));
        Assert.Equal(
            [1, 2, 4, 5, 5],
            Enumerable.Range(2, 5).Select(n => AccessRevocations.ListenPause(n, interval)!.Value.TotalSeconds));
        Assert.Equal(interval, AccessRevocations.ListenPause(int.MaxValue, interval));
    }
}
