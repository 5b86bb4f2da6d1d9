using System.Collections.Immutable;
using System.Net;
using Telemedicina.Grains;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.UnitTests.Grains;

/// <summary>
/// Where <see cref="DeliveryRouter"/> sends an event: this silo's connections in-process, every other live silo's
/// through its observer (one delivery per silo, numbered per silo), nothing to a dead silo, nothing a fault drops.
/// </summary>
public sealed class DeliveryRouterTests
{
    private static readonly SiloAddress Here = SiloAddress.New(IPAddress.Loopback, 11111, 1);
    private static readonly SiloAddress There = SiloAddress.New(IPAddress.Loopback, 11112, 1);
    private static readonly SiloAddress Gone = SiloAddress.New(IPAddress.Loopback, 11113, 1);

    private readonly RecordingObserver _hereObserver = new();
    private readonly RecordingObserver _thereObserver = new();
    private readonly RecordingObserver _goneObserver = new();
    private readonly RecordingLocal _local = new(Here);
    private readonly Membership _membership = new(new Dictionary<SiloAddress, SiloStatus>
    {
        [Here] = SiloStatus.Active,
        [There] = SiloStatus.Active,
        [Gone] = SiloStatus.Dead,
    });

    [Fact]
    public void Deliver_HandsThisSilosConnectionsOverInProcess_AndSendsOneDeliveryToEachOtherSilo()
    {
        var router = new DeliveryRouter(_membership, _local);
        var sequencer = new DeliverySequencer();

        var dead = router.Deliver(sequencer, [OnHere("a"), OnThere("b"), OnHere("c"), OnThere("d")], Event("first"));
        router.Deliver(sequencer, [OnHere("a"), OnThere("b")], Event("second"));

        Assert.Empty(dead);
        Assert.Empty(_hereObserver.Received);
        Assert.Equal([["a", "c"], ["a"]], _local.Received.Select(d => d.ConnectionIds.ToArray()));
        Assert.Equal([["b", "d"], ["b"]], _thereObserver.Received.Select(d => d.ConnectionIds.ToArray()));

        // Each silo restores the order of what one sender sent it: numbered 1, 2, ... per silo, in one stream.
        Assert.Equal([1L, 2L], _local.Received.Select(d => d.Seq));
        Assert.Equal([1L, 2L], _thereObserver.Received.Select(d => d.Seq));
        Assert.All(_local.Received.Concat(_thereObserver.Received), d => Assert.Equal(sequencer.Stream, d.Stream));
        Assert.Equal(["first", "second"], _local.Received.Select(d => ((SignalEvent)d.Event).Payload));
    }

    [Fact]
    public void Deliver_ReportsConnectionsOnDeadSilos_AndSendsThemNothing()
    {
        var router = new DeliveryRouter(_membership, _local);

        var dead = router.Deliver(new DeliverySequencer(), [OnHere("a"), Connection("x", Gone, _goneObserver), Connection("y", Gone, _goneObserver)], Event("p"));

        Assert.Equal(["x", "y"], dead);
        Assert.Empty(_goneObserver.Received);
        Assert.Single(_local.Received);
    }

    [Fact]
    public void Deliver_WithoutALocalEndpoint_ReachesThisSiloThroughItsObserver()
    {
        var router = new DeliveryRouter(_membership);

        router.Deliver(new DeliverySequencer(), [OnHere("a")], Event("p"));

        Assert.Equal(["a"], Assert.Single(_hereObserver.Received).ConnectionIds);
        Assert.Empty(_local.Received);
    }

    [Fact]
    public void Deliver_WhenAFaultDropsADelivery_NeitherPathGetsIt_AndTheNextStillFollowsItsNumber()
    {
        var router = new DeliveryRouter(_membership, _local, new DropPayload("lost"));
        var sequencer = new DeliverySequencer();

        router.Deliver(sequencer, [OnHere("a"), OnThere("b")], Event("lost"));
        router.Deliver(sequencer, [OnHere("a"), OnThere("b")], Event("kept"));

        // The dropped delivery used its number, as a delivery lost in flight does: the silo skips the gap later.
        Assert.Equal(2L, Assert.Single(_local.Received).Seq);
        Assert.Equal(2L, Assert.Single(_thereObserver.Received).Seq);
    }

    private UserConnection OnHere(string id) => Connection(id, DeliveryRouterTests.Here, _hereObserver);

    private UserConnection OnThere(string id) => Connection(id, DeliveryRouterTests.There, _thereObserver);

    private static UserConnection Connection(string id, SiloAddress silo, ISiloDeliveryObserver observer) => new(id, silo, observer);

    private static SignalEvent Event(string payload) => new(Guid.NewGuid(), Guid.NewGuid(), SignalKinds.Candidate, payload, 1);

    private sealed class RecordingObserver : ISiloDeliveryObserver
    {
        public List<Delivery> Received { get; } = [];

        public Task Deliver(Delivery delivery)
        {
            Received.Add(delivery);
            return Task.CompletedTask;
        }

        public Task RegisterPresenceAgain(ImmutableArray<string> connectionIds) => Task.CompletedTask;
    }

    private sealed class RecordingLocal(SiloAddress silo) : ILocalDelivery
    {
        public List<Delivery> Received { get; } = [];

        public SiloAddress Silo => silo;

        public void Deliver(Delivery delivery) => Received.Add(delivery);
    }

    private sealed class DropPayload(string payload) : IDeliveryFault
    {
        public bool Drops(Delivery delivery) => delivery.Event is SignalEvent signal && signal.Payload == payload;
    }

    private sealed class Membership(Dictionary<SiloAddress, SiloStatus> silos) : IClusterMembershipService
    {
        public ClusterMembershipSnapshot CurrentSnapshot { get; } = new(
            silos.ToImmutableDictionary(s => s.Key, s => new ClusterMember(s.Key, s.Value, s.Key.ToString())),
            new MembershipVersion(1));

        public IAsyncEnumerable<ClusterMembershipSnapshot> MembershipUpdates => throw new NotSupportedException();

        public ValueTask Refresh(MembershipVersion minimumVersion = default, CancellationToken cancellationToken = default) =>
            ValueTask.CompletedTask;

        public Task<bool> TryKill(SiloAddress siloAddress) => throw new NotSupportedException();
    }
}
