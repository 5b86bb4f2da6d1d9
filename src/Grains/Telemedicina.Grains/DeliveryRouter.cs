using System.Collections.Immutable;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <summary>
/// Sends one event to a set of connections, one <see cref="ISiloDeliveryObserver.Deliver"/> per
/// holding silo, skipping (and reporting) connections whose silo membership declared dead.
/// </summary>
internal static class DeliveryRouter
{
    /// <summary>Delivers <paramref name="clientEvent"/>; returns the connection ids that sit on dead silos.</summary>
    public static IReadOnlyList<string> Deliver(IClusterMembershipService membership, IEnumerable<UserConnection> connections, ClientEvent clientEvent)
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
            _ = group.First().Observer.Deliver(new Delivery(ids, clientEvent));
        }

        return (IReadOnlyList<string>?)dead ?? [];
    }
}
