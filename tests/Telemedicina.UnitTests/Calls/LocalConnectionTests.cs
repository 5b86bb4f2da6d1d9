using Telemedicina.Calls.Delivery;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.UnitTests.Calls;

public sealed class LocalConnectionTests
{
    private static readonly Guid Me = Guid.NewGuid();
    private static readonly Guid Peer = Guid.NewGuid();

    [Fact]
    public void AcknowledgedSignals_AreKeptPerRoom_OldestFirst_UpToTheCapacity()
    {
        var connections = new LocalConnections();
        var connection = connections.Add("c1", Me);
        Guid room = Guid.NewGuid(), other = Guid.NewGuid();
        Assert.Empty(connections.Sent("c1", room));

        connection.Acknowledged(other, 7, Message(1));
        for (var i = 2; i <= LocalConnection.SentCapacity + 3; i++)
        {
            connection.Acknowledged(room, 100 + i, Message(i));
        }

        // The other room's signal was the oldest, and went first; of this room's, the newest are kept, in order.
        var kept = connections.Sent("c1", room);
        Assert.Equal(Enumerable.Range(4, LocalConnection.SentCapacity).Select(i => 100L + i), kept.Select(s => s.Seq));
        Assert.All(kept, s => Assert.Equal("p" + (s.Seq - 100), s.Message.Payload));
        Assert.Empty(connections.Sent("c1", other));
        Assert.Empty(connections.Sent("gone", room));
    }

    [Fact]
    public void AKeptSignal_ComesBackAsItWasSent_UntilItsConnectionCloses()
    {
        var connections = new LocalConnections();
        var connection = connections.Add("c1", Me);
        var room = Guid.NewGuid();
        var offer = new RoomMessage(Me, "c1", Guid.NewGuid(), 1, Peer, new string("offer".ToCharArray()), "v=0\r\ns=ção 😀\r\n");
        var odd = new RoomMessage(Me, "c1", offer.Stream, 2, Peer, SignalKinds.Candidate, "a\ud800b");

        connection.Acknowledged(room, 41, offer);
        connection.Acknowledged(room, 42, odd);

        Assert.Equal([new SentSignal(41, offer), new SentSignal(42, odd)], connections.Sent("c1", room));

        connections.Remove("c1");

        Assert.Empty(connection.Sent(room));
    }

    private static RoomMessage Message(int i) => new(Me, "c1", Guid.Empty, i, Peer, "candidate", "p" + i);
}
