using Telemedicina.Grains;

namespace Telemedicina.UnitTests.Grains;

public sealed class RelayedMessagesTests
{
    private static readonly Guid A = Guid.NewGuid();
    private static readonly Guid B = Guid.NewGuid();

    [Fact]
    public void SecondSightOfANumber_IsADuplicate_PerStream()
    {
        var relayed = new RelayedMessages();
        Assert.True(relayed.TryAdd(A, 1));
        Assert.True(relayed.TryAdd(A, 2));
        Assert.True(relayed.TryAdd(B, 2));
        Assert.False(relayed.TryAdd(A, 2));
        Assert.False(relayed.TryAdd(A, 1));
        Assert.False(relayed.TryAdd(B, 2));
    }

    [Fact]
    public void ARetryThatComesAfterLaterMessages_IsStillRecognised_AndANumberNeverSeenIsRelayed()
    {
        var relayed = new RelayedMessages();
        Assert.True(relayed.TryAdd(A, 30));
        // 31 was numbered, failed before reaching the room, and is retried after 32..40.
        for (var seq = 32; seq <= 40; seq++)
        {
            Assert.True(relayed.TryAdd(A, seq));
        }

        Assert.False(relayed.TryAdd(A, 30));
        Assert.True(relayed.TryAdd(A, 31));
        Assert.False(relayed.TryAdd(A, 31));
    }

    [Fact]
    public void AJumpPastTheWindow_ForgetsWhatFellOut_AndRelaysWhatItCannotTell()
    {
        var relayed = new RelayedMessages();
        Assert.True(relayed.TryAdd(A, 5));
        Assert.True(relayed.TryAdd(A, 5 + RelayedMessages.Window));
        // 5 fell below the window: unknown, so relayed (a duplicate beats a loss).
        Assert.True(relayed.TryAdd(A, 5));
        // A number that shares 5's bit inside the new window was not seen: the bit was cleared by the jump.
        Assert.True(relayed.TryAdd(A, 5 + (2 * RelayedMessages.Window)));
        Assert.True(relayed.TryAdd(A, 6 + RelayedMessages.Window));
        Assert.False(relayed.TryAdd(A, 5 + (2 * RelayedMessages.Window)));
    }

    [Fact]
    public void ExportThenImport_KeepsWhatWasRelayed_ForTheNextActivation()
    {
        var before = new RelayedMessages();
        for (var seq = 1; seq <= 100; seq += 2)
        {
            before.TryAdd(A, seq);
        }

        before.TryAdd(B, 7);
        var after = new RelayedMessages();
        after.Import(before.Export());
        Assert.False(after.TryAdd(A, 99));
        Assert.False(after.TryAdd(A, 1));
        Assert.True(after.TryAdd(A, 2));
        Assert.False(after.TryAdd(B, 7));
        Assert.True(after.TryAdd(B, 8));
    }

    [Fact]
    public void KeepsTheStreamsUsedLast_UpToTheLimit()
    {
        var relayed = new RelayedMessages();
        var streams = Enumerable.Range(0, RelayedMessages.MaxStreams + 1).Select(_ => Guid.NewGuid()).ToList();
        foreach (var stream in streams.Take(RelayedMessages.MaxStreams))
        {
            relayed.TryAdd(stream, 1);
        }

        relayed.TryAdd(streams[0], 2); // the first stream is used again: the second is now the oldest
        relayed.TryAdd(streams[^1], 1);
        Assert.False(relayed.TryAdd(streams[0], 1));
        Assert.True(relayed.TryAdd(streams[1], 1)); // forgotten: relayed
        Assert.Equal(RelayedMessages.MaxStreams, relayed.Export().Count);
    }
}
