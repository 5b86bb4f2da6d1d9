using Orleans.Concurrency;

using System.Collections.Immutable;

namespace Telemedicina.Grains.Abstractions;

/// <summary>
/// One silo's SignalR connection of a user: enough for a grain to reach it without a backplane.
/// <see cref="Observer"/> is the delivery observer of the silo that holds the WebSocket.
/// </summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.UserConnection")]
public sealed record UserConnection(
    [property: Id(0)] string ConnectionId,
    [property: Id(1)] SiloAddress Silo,
    [property: Id(2)] ISiloDeliveryObserver Observer);

/// <summary>
/// An event for some connections held by one silo. <see cref="Stream"/> and <see cref="Seq"/> number
/// the deliveries one sender activation makes to one silo (1, 2, 3, ...): Orleans does not keep
/// one-way messages in order across silos, so the receiving silo restores the order.
/// </summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.Delivery")]
public sealed record Delivery(
    [property: Id(0)] ImmutableArray<string> ConnectionIds,
    [property: Id(1)] ClientEvent Event,
    [property: Id(2)] Guid Stream,
    [property: Id(3)] long Seq);

/// <summary>
/// The per-silo delivery endpoint (one per silo, created by the host). Grains push events to the
/// silo that holds the target connections; the silo writes them to its local WebSockets.
/// </summary>
/// <remarks>
/// Its methods are one-way and only enqueue: calls to one observer reference run one at a
/// time, so they must never wait on a socket or a grain. If the silo is dead the call is simply lost; the
/// membership-driven cleanup in the grains removes its connections.
/// </remarks>
[Alias("Telemedicina.ISiloDeliveryObserver")]
public interface ISiloDeliveryObserver : IGrainObserver
{
    [OneWay]
    [Alias("Deliver")]
    Task Deliver(Delivery delivery);

    /// <summary>
    /// The presence activation that knew these connections (all held by this silo) is going away, typically because
    /// its own silo is stopping: register each with the user's presence again, which activates it on a silo that
    /// stays. Until then the user receives no events.
    /// </summary>
    [OneWay]
    [Alias("RegisterPresenceAgain")]
    Task RegisterPresenceAgain(ImmutableArray<string> connectionIds);
}

/// <summary>
/// This silo's own delivery endpoint, called in-process. A grain that sends to connections held by its own silo hands
/// the delivery over directly: no message, no serialization, none of the locks Orleans' message path takes.
/// </summary>
public interface ILocalDelivery
{
    /// <summary>This silo's address (the <see cref="UserConnection.Silo"/> of the connections it holds).</summary>
    SiloAddress Silo { get; }

    /// <summary>
    /// Enqueues a delivery for its connections' lanes and returns, never waits. Unlike <see cref="ISiloDeliveryObserver.Deliver"/>
    /// it does not reorder: it is called in the sending grain's turn, so deliveries arrive in the order they were sent.
    /// </summary>
    void Deliver(Delivery delivery);
}

/// <summary>
/// A fault injected on purpose for the cluster tests (the host's FaultInjection; refused in Production): a delivery it
/// matches is dropped, on the in-process and the observer path alike, as when the sending silo dies before sending it.
/// </summary>
public interface IDeliveryFault
{
    bool Drops(Delivery delivery);
}
