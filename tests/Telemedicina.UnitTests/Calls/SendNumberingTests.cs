using Telemedicina.Calls.Hub;

namespace Telemedicina.UnitTests.Calls;

public sealed class SendNumberingTests
{
    private static readonly Guid Room = Guid.NewGuid();
    private static readonly Guid Me = Guid.NewGuid();
    private static readonly Guid Peer = Guid.NewGuid();

    [Fact]
    public void Messages_AreNumberedOneByOne_InTheConnectionsStream()
    {
        var numbering = new SendNumbering();
        var first = numbering.Next(Room, Me, "c1", Peer, "candidate", "a");
        var second = numbering.Next(Room, Me, "c1", Peer, "candidate", "a");
        Assert.Equal(1, first.Seq);
        Assert.Equal(2, second.Seq);
        Assert.Equal(numbering.Stream, first.Stream);
        Assert.Equal(("c1", Me, Peer, "candidate", "a"), (first.FromConnectionId, first.FromUserId, first.ToUserId, first.Kind, first.Payload));
    }

    [Fact]
    public void ARetryOfAnUnconfirmedMessage_KeepsItsNumber_Once()
    {
        var numbering = new SendNumbering();
        var lost = numbering.Next(Room, Me, "c1", Peer, "candidate", "30");
        numbering.Unconfirmed(Room, lost);
        var other = numbering.Next(Room, Me, "c1", Peer, "candidate", "31");
        var retry = numbering.Next(Room, Me, "c1", Peer, "candidate", "30");
        Assert.Equal(lost.Seq, retry.Seq);
        Assert.Equal(lost.Seq + 1, other.Seq);
        // Sent once more on purpose after the retry went through: a new message.
        Assert.Equal(other.Seq + 1, numbering.Next(Room, Me, "c1", Peer, "candidate", "30").Seq);
    }

    [Fact]
    public void OnlyTheSameRoomRecipientKindAndPayload_CountAsARetry()
    {
        var numbering = new SendNumbering();
        var lost = numbering.Next(Room, Me, "c1", Peer, "offer", "v=0 x");
        numbering.Unconfirmed(Room, lost);
        Assert.NotEqual(lost.Seq, numbering.Next(Guid.NewGuid(), Me, "c1", Peer, "offer", "v=0 x").Seq);
        Assert.NotEqual(lost.Seq, numbering.Next(Room, Me, "c1", Guid.NewGuid(), "offer", "v=0 x").Seq);
        Assert.NotEqual(lost.Seq, numbering.Next(Room, Me, "c1", Peer, "answer", "v=0 x").Seq);
        Assert.NotEqual(lost.Seq, numbering.Next(Room, Me, "c1", Peer, "offer", "v=0 y").Seq);
        Assert.Equal(lost.Seq, numbering.Next(Room, Me, "c1", Peer, "offer", "v=0 x").Seq);
    }

    [Fact]
    public void KeepsTheLastUnconfirmedMessages_UpToCapacity()
    {
        var numbering = new SendNumbering();
        var lost = Enumerable.Range(0, SendNumbering.Capacity + 1)
            .Select(i => numbering.Next(Room, Me, "c1", Peer, "candidate", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        lost.ForEach(m => numbering.Unconfirmed(Room, m));
        Assert.NotEqual(lost[0].Seq, numbering.Next(Room, Me, "c1", Peer, "candidate", "0").Seq);
        Assert.Equal(lost[1].Seq, numbering.Next(Room, Me, "c1", Peer, "candidate", "1").Seq);
        Assert.Equal(lost[^1].Seq, numbering.Next(Room, Me, "c1", Peer, "candidate", lost[^1].Payload).Seq);
    }
}
