using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Grains;

/// <inheritdoc cref="IUserPresenceGrain"/>
internal sealed partial class UserPresenceGrain(
    IClusterMembershipService membership,
    DeliveryRouter router,
    IAppointmentBook appointments,
    IOptions<GrainCollectionOptions> collection,
    ILogger<UserPresenceGrain> logger) : Grain, IUserPresenceGrain
{
    // A call can ring past the end of the join window by at most the ring timeout (a minute by default).
    private static readonly TimeSpan RingGrace = TimeSpan.FromHours(1);

    private readonly Dictionary<string, UserConnection> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, WaitingCall> _waiting = [];
    private readonly DeliverySequencer _sequencer = new();
    private Guid? _inCallRoomId;
    private string? _latestConnectionId;
    private bool _waitingRebuilt;
    private IGrainTimer? _keepAlive;

    // The connections exist nowhere else in memory. When this activation goes while users are online, each silo
    // that holds some of them is asked to register them again, which activates the presence on a silo that stays.
    // It goes when its silo stops (a deploy or a scale-in), and also on a silo that stays: Orleans deactivates every
    // activation whose grain-directory entry was held by a silo that starts shutting down or dies. Events sent to
    // these users meanwhile (a ring, an accepted call) are lost, so this must not wait for membership to declare the
    // stopping silo dead: that is seconds later, more while it hands its rooms over. The waiting list is rebuilt from
    // the rooms.
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        PruneDeadSilos();
        foreach (var group in _connections.Values.GroupBy(c => c.Silo))
        {
            _ = group.First().Observer.RegisterPresenceAgain([.. group.Select(c => c.ConnectionId)]);
        }

        if (_connections.Count > 0)
        {
            LogHandedBack(logger, this.GetPrimaryKey(), _connections.Count, reason.ReasonCode);
        }

        return Task.CompletedTask;
    }

    public async Task Connect(UserConnection connection)
    {
        PruneDeadSilos();
        var wasOnline = _connections.Count > 0;
        _connections[connection.ConnectionId] = connection;
        _latestConnectionId = connection.ConnectionId;
        EnsureKeepAlive();
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

        _keepAlive?.Dispose();
        _keepAlive = null;
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
        foreach (var dead in router.Deliver(_sequencer, _connections.Values, clientEvent))
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

    public Task<Guid?> ClaimCall(Guid roomId, Guid? replacing)
    {
        if (_inCallRoomId is { } holder && holder != roomId && holder != replacing)
        {
            return Task.FromResult<Guid?>(holder);
        }

        _inCallRoomId = roomId;
        return Task.FromResult<Guid?>(null);
    }

    public Task LeaveCall(Guid roomId)
    {
        if (_inCallRoomId == roomId)
        {
            _inCallRoomId = null;
        }

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

    public async Task<IReadOnlyList<WaitingCall>> GetWaiting()
    {
        if (!_waitingRebuilt)
        {
            await RebuildWaitingAsync();
        }

        return [.. _waiting.Values.OrderBy(w => w.RequestedAt)];
    }

    public Task<SiloAddress?> GetHomeSilo()
    {
        PruneDeadSilos();
        var latest = _latestConnectionId is { } id && _connections.TryGetValue(id, out var connection)
            ? connection
            : _connections.Values.FirstOrDefault();
        return Task.FromResult(latest?.Silo);
    }

    public Task<IReadOnlyList<string>> GetConnectionSilos()
    {
        PruneDeadSilos();
        return Task.FromResult<IReadOnlyList<string>>([.. _connections.Values.Select(c => c.Silo.ToString()).Distinct(StringComparer.Ordinal)]);
    }

    // The waiting list is soft state: an activation that replaced a lost one (its silo stopped or crashed)
    // starts empty. The rooms are the truth: ask the ringing room of each of the doctor's open appointments. They are
    // asked at once, and each for at most PresenceReadTimeout: the rebuild runs when rooms are recovering too, and a
    // room that does not answer must not hold the doctor's presence (its Connect waits behind this read). A rebuild
    // that missed a room is tried again on the next read.
    private async Task RebuildWaitingAsync()
    {
        var me = this.GetPrimaryKey();
        IReadOnlyList<Guid> open;
        try
        {
            open = await appointments.OpenAppointmentsOfDoctorAsync(me, RingGrace, CancellationToken.None);
        }
        catch (Exception e) when (e is TimeoutException or System.Data.Common.DbException)
        {
            // Answer with what is known; the next read tries again.
            LogWaitingRebuildFailed(logger, e, me);
            return;
        }

        var answers = await Task.WhenAll(open.Select(ReadWaitingAsync));
        var found = 0;
        foreach (var answer in answers)
        {
            if (answer.Waiting is { } waiting)
            {
                _waiting[waiting.RoomId] = waiting;
                found++;
            }
        }

        var unanswered = answers.Count(a => !a.Answered);
        _waitingRebuilt = unanswered == 0;
        if (found > 0)
        {
            LogWaitingRebuilt(logger, me, found);
        }

        if (unanswered > 0)
        {
            LogRoomsUnanswered(logger, me, unanswered, ConsultationRoomGrain.PresenceReadTimeout.TotalSeconds);
        }
    }

    // The call waiting in the ringing room of one appointment, if any; Answered is false when the appointment or its
    // room did not answer within the bound.
    private async Task<RoomAnswer> ReadWaitingAsync(Guid appointmentId)
    {
        try
        {
            return await ReadAsync().Within(ConsultationRoomGrain.PresenceReadTimeout);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or System.Data.Common.DbException)
        {
            return new RoomAnswer(Answered: false, Waiting: null);
        }

        async Task<RoomAnswer> ReadAsync() =>
            await GrainFactory.GetGrain<IAppointmentCallsGrain>(appointmentId).GetActiveRoom() is { } roomId
                ? new RoomAnswer(Answered: true, await GrainFactory.GetGrain<IConsultationRoomGrain>(roomId).GetWaitingCall())
                : new RoomAnswer(Answered: true, Waiting: null);
    }

    private readonly record struct RoomAnswer(bool Answered, WaitingCall? Waiting);

    // An online user's presence must outlive idle-activation collection (15 min by default): the connections
    // it holds exist nowhere else, and a doctor waits between consults without touching it. The timer keeps the
    // activation while a connection is live, drops connections on silos declared dead, and lets go after.
    private void EnsureKeepAlive()
    {
        if (_keepAlive is not null)
        {
            return;
        }

        var period = collection.Value.CollectionAge / 3;
        if (period > TimeSpan.FromMinutes(5))
        {
            period = TimeSpan.FromMinutes(5);
        }

        _keepAlive = this.RegisterGrainTimer(
            static grain => grain.KeepAliveTickAsync(),
            this,
            new GrainTimerCreationOptions(period, period) { KeepAlive = true });
    }

    private Task KeepAliveTickAsync()
    {
        PruneDeadSilos();
        if (_connections.Count == 0)
        {
            _keepAlive?.Dispose();
            _keepAlive = null;
        }

        return Task.CompletedTask;
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

    // Debug: a stopping silo holding thousands of online users' presence would write a line for each.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Presence of {UserId} deactivated ({Reason}) with {Count} live connection(s): their silos register them again")]
    private static partial void LogHandedBack(ILogger logger, Guid userId, int count, DeactivationReasonCode reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Presence of {UserId}: waiting list rebuilt from the rooms ({Count} ringing)")]
    private static partial void LogWaitingRebuilt(ILogger logger, Guid userId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence of {UserId}: could not rebuild the waiting list from the rooms")]
    private static partial void LogWaitingRebuildFailed(ILogger logger, Exception exception, Guid userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence of {UserId}: {Count} of the rooms did not answer within {Seconds} s; the waiting list is rebuilt without them, and again on the next read")]
    private static partial void LogRoomsUnanswered(ILogger logger, Guid userId, int count, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence of {UserId}: could not announce the change to counterparts")]
    private static partial void LogAnnounceFailed(ILogger logger, Exception exception, Guid userId);
}
