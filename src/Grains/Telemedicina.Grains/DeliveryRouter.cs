using System.Collections.Immutable;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <summary>
/// Numbers the deliveries of one grain activation per target silo, so each silo can put them
/// back in the order they were sent (see <see cref="Delivery"/>).
/// </summary>
internal sealed class DeliverySequencer
{
    private readonly Dictionary<SiloAddress, long> _next = [];

    public Guid Stream { get; } = Guid.NewGuid();

    public long Next(SiloAddress silo)
    {
        var seq = _next.TryGetValue(silo, out var last) ? last + 1 : 1;
        _next[silo] = seq;
        return seq;
    }
}

/// <summary>
/// Sends one event to a set of connections, one delivery per holding silo, skipping (and reporting) connections whose
/// silo membership declared dead. Connections on this silo are handed to its <see cref="ILocalDelivery"/> in-process;
/// other silos get an <see cref="ISiloDeliveryObserver.Deliver"/> message. One per silo (registered by the host).
/// </summary>
/// <remarks>
/// The room grain sits on one party's silo (prefer-local placement), so half of the signals it relays are for a
/// connection on its own silo. Through the observer, each of those went through Orleans' message path as if it were
/// remote: a message, its dispatch to the silo's hosted client, and the locks of both queues.
/// </remarks>
public sealed class DeliveryRouter(IClusterMembershipService membership, ILocalDelivery? local = null, IDeliveryFault? fault = null)
{
    /// <summary>Delivers <paramref name="clientEvent"/>; returns the connection ids that sit on dead silos.</summary>
    internal IReadOnlyList<string> Deliver(DeliverySequencer sequencer, IEnumerable<UserConnection> connections, ClientEvent clientEvent)
    {
        List<string>? dead = null;
        var snapshot = membership.CurrentSnapshot;
        foreach (var group in connections.GroupBy(c => c.Silo))
        {
            if (snapshot.GetSiloStatus(group.Key) == SiloStatus.Dead)
            {
                dead ??= [];
                dead.AddRange(group.Select(c => c.ConnectionId));
                continue;
            }

            var ids = group.Select(c => c.ConnectionId).ToImmutableArray();
            var delivery = new Delivery(ids, clientEvent, sequencer.Stream, sequencer.Next(group.Key));
            if (fault is not null && fault.Drops(delivery))
            {
                continue;
            }

            if (local is not null && group.Key.Equals(local.Silo))
            {
                local.Deliver(delivery);
            }
            else
            {
                // One-way: returns once the message is queued; a slow or dead silo never stalls the sender.
                _ = group.First().Observer.Deliver(delivery);
            }
        }

        return (IReadOnlyList<string>?)dead ?? [];
    }
}
