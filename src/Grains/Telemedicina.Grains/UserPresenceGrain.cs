using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <inheritdoc cref="IUserPresenceGrain"/>
internal sealed class UserPresenceGrain(IClusterMembershipService membership) : Grain, IUserPresenceGrain
{
    private readonly Dictionary<string, UserConnection> _connections = new(StringComparer.Ordinal);
    private readonly DeliverySequencer _sequencer = new();
    private Guid? _inCallRoomId;

    public Task Connect(UserConnection connection)
    {
        _connections[connection.ConnectionId] = connection;
        PruneDeadSilos();
        return Task.CompletedTask;
    }

    public Task Disconnect(string connectionId)
    {
        _connections.Remove(connectionId);
        if (_connections.Count == 0)
        {
            // Nothing to keep in memory for an offline user.
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    public Task<PresenceView> GetPresence()
    {
        PruneDeadSilos();
        return Task.FromResult(new PresenceView(this.GetPrimaryKey(), _connections.Count > 0, _connections.Count, _inCallRoomId));
    }

    public Task Notify(ClientEvent clientEvent)
    {
        foreach (var dead in DeliveryRouter.Deliver(membership, _sequencer, _connections.Values, clientEvent))
        {
            _connections.Remove(dead);
        }

        return Task.CompletedTask;
    }

    public Task SetInCall(Guid? roomId)
    {
        _inCallRoomId = roomId;
        return Task.CompletedTask;
    }

    private void PruneDeadSilos()
    {
        var snapshot = membership.CurrentSnapshot;
        foreach (var id in _connections.Values.Where(c => snapshot.GetSiloStatus(c.Silo) == SiloStatus.Dead).Select(c => c.ConnectionId).ToList())
        {
            _connections.Remove(id);
        }
    }
}
