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
/// Sends one event to a set of connections, one <see cref="ISiloDeliveryObserver.Deliver"/> per
/// holding silo, skipping (and reporting) connections whose silo membership declared dead.
/// </summary>
internal static class DeliveryRouter
{
    /// <summary>Delivers <paramref name="clientEvent"/>; returns the connection ids that sit on dead silos.</summary>
    public static IReadOnlyList<string> Deliver(
        IClusterMembershipService membership, DeliverySequencer sequencer, IEnumerable<UserConnection> connections, ClientEvent clientEvent)
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
            // One-way: returns once the message is queued; a slow or dead silo never stalls the sender.
            _ = group.First().Observer.Deliver(new Delivery(ids, clientEvent, sequencer.Stream, sequencer.Next(group.Key)));
        }

        return (IReadOnlyList<string>?)dead ?? [];
    }
}
