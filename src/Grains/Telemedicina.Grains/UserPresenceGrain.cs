using Microsoft.Extensions.Logging;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Grains;

/// <inheritdoc cref="IUserPresenceGrain"/>
internal sealed partial class UserPresenceGrain(
    IClusterMembershipService membership,
    IAppointmentBook appointments,
    ILogger<UserPresenceGrain> logger) : Grain, IUserPresenceGrain
{
    private readonly Dictionary<string, UserConnection> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, WaitingCall> _waiting = [];
    private readonly DeliverySequencer _sequencer = new();
    private Guid? _inCallRoomId;

    public async Task Connect(UserConnection connection)
    {
        PruneDeadSilos();
        var wasOnline = _connections.Count > 0;
        _connections[connection.ConnectionId] = connection;
        if (!wasOnline)
        {
            await AnnounceAsync(online: true);
        }
    }

    public async Task Disconnect(string connectionId)
    {
        if (!_connections.Remove(connectionId) || _connections.Count > 0)
        {
            return;
        }

        await AnnounceAsync(online: false);
        if (_waiting.Count == 0 && _inCallRoomId is null)
        {
            // Nothing to keep in memory for an offline user.
            DeactivateOnIdle();
        }
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

    public Task AddWaiting(WaitingCall waiting)
    {
        _waiting[waiting.RoomId] = waiting;
        return Task.CompletedTask;
    }

    public Task RemoveWaiting(Guid roomId)
    {
        _waiting.Remove(roomId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WaitingCall>> GetWaiting() =>
        Task.FromResult<IReadOnlyList<WaitingCall>>([.. _waiting.Values.OrderBy(w => w.RequestedAt)]);

    public Task<IReadOnlyList<string>> GetConnectionSilos()
    {
        PruneDeadSilos();
        return Task.FromResult<IReadOnlyList<string>>([.. _connections.Values.Select(c => c.Silo.ToString()).Distinct(StringComparer.Ordinal)]);
    }

    // Tells the other parties of the user's appointments around now that the user came or went.
    private async Task AnnounceAsync(bool online)
    {
        var me = this.GetPrimaryKey();
        IReadOnlyList<Guid> counterparts;
        try
        {
            counterparts = await appointments.CounterpartsAroundNowAsync(me, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.Data.Common.DbException)
        {
            // Presence is best effort: a database hiccup must not refuse a connection.
            LogAnnounceFailed(logger, e, me);
            return;
        }

        var changed = new PresenceChangedEvent(me, online);
        foreach (var other in counterparts)
        {
            await GrainFactory.GetGrain<IUserPresenceGrain>(other).Notify(changed);
        }
    }

    private void PruneDeadSilos()
    {
        var snapshot = membership.CurrentSnapshot;
        foreach (var id in _connections.Values.Where(c => snapshot.GetSiloStatus(c.Silo) == SiloStatus.Dead).Select(c => c.ConnectionId).ToList())
        {
            _connections.Remove(id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence of {UserId}: could not announce the change to counterparts")]
    private static partial void LogAnnounceFailed(ILogger logger, Exception exception, Guid userId);
}
