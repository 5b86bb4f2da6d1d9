using System.Collections.Concurrent;
using System.Collections.Immutable;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Calls.Delivery;

/// <summary>
/// The hub connections this silo holds: whose they are and which rooms they joined. Presence and
/// room membership live in grains as soft state; after a silo crash takes some of those grains
/// with it, every silo re-registers its own connections from here (<see cref="MembershipRecovery"/>).
/// </summary>
/// <remarks>
/// A silo holds up to tens of thousands of idle connections, so an entry is kept small: the joined rooms are a
/// copy-on-write array (a connection joins one room, rarely two), not a concurrent dictionary per connection.
/// </remarks>
public sealed class LocalConnections
{
    private readonly ConcurrentDictionary<string, LocalConnection> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    /// <summary>Registers a new connection; the hub keeps the entry to record what the connection sends.</summary>
    internal LocalConnection Add(string connectionId, Guid userId, Microsoft.AspNetCore.SignalR.HubCallerContext? caller = null) =>
        _connections[connectionId] = new LocalConnection(userId) { Caller = caller };

    /// <summary>Closes this silo's connections of <paramref name="users"/> (their sessions were ended); how many.</summary>
    public int Abort(IReadOnlyCollection<Guid> users) => AbortWhere(c => users.Contains(c.UserId));

    /// <summary>Closes this silo's connections opened in one of <paramref name="sessions"/> (logged out); how many.</summary>
    public int AbortSessions(IReadOnlyCollection<Guid> sessions) =>
        AbortWhere(c => AccessTokenClaims.FindSession(c.Caller!.User) is { } session && sessions.Contains(session));

    private int AbortWhere(Func<LocalConnection, bool> ended)
    {
        var aborted = 0;
        foreach (var (_, connection) in _connections)
        {
            if (connection.Caller is { } caller && ended(connection))
            {
                caller.Abort();
                aborted++;
            }
        }

        return aborted;
    }

    public void Remove(string connectionId)
    {
        if (_connections.TryRemove(connectionId, out var connection))
        {
            connection.Forget();
        }
    }

    public bool Contains(string connectionId) => _connections.ContainsKey(connectionId);

    /// <summary>Whose connection this is, while this silo holds it.</summary>
    public Guid? UserOf(string connectionId) => _connections.TryGetValue(connectionId, out var c) ? c.UserId : null;

    public void Joined(string connectionId, Guid roomId) => _connections.GetValueOrDefault(connectionId)?.Join(roomId);

    public void Left(string connectionId, Guid roomId) => _connections.GetValueOrDefault(connectionId)?.Leave(roomId);

    /// <summary>The rooms a connection is in now (none once it closed).</summary>
    public ImmutableArray<Guid> RoomsOf(string connectionId) => _connections.GetValueOrDefault(connectionId)?.Rooms ?? [];

    /// <summary>A snapshot: (connection id, user id, joined rooms).</summary>
    public IReadOnlyList<(string ConnectionId, Guid UserId, Guid[] Rooms)> Snapshot() =>
        [.. _connections.Select(c => (c.Key, c.Value.UserId, c.Value.Rooms.ToArray()))];

    /// <summary>The last signals the connection had acknowledged in the room (<see cref="LocalConnection.Sent"/>).</summary>
    public ImmutableArray<SentSignal> Sent(string connectionId, Guid roomId) =>
        _connections.TryGetValue(connectionId, out var c) ? c.Sent(roomId) : [];
}

/// <summary>One hub connection held by this silo (see <see cref="LocalConnections"/>).</summary>
internal sealed class LocalConnection(Guid userId)
{
    /// <summary>Acknowledged signals kept per connection: more than a sender has in flight when a room's silo dies.</summary>
    internal const int SentCapacity = 8;

    private ImmutableArray<Guid> _rooms = [];

    // Allocated on the first signal, and its own lock: most connections (a silo holds up to ~19,500) never send one.
    // The payloads are kept apart from their messages, out of the GC's way (KeptPayload): at 5 signals/s a connection
    // keeps each for ~1.6 s, longer than a busy silo's gen0 collections are apart.
    private Queue<Kept>? _sent;

    public Guid UserId { get; } = userId;

    /// <summary>The hub's context of the connection, to close it when its account's sessions are ended.</summary>
    public Microsoft.AspNetCore.SignalR.HubCallerContext? Caller { get; init; }

    /// <summary>The rooms joined; read by membership recovery while the hub changes it.</summary>
    public ImmutableArray<Guid> Rooms => _rooms;

    internal void Join(Guid roomId) =>
        ImmutableInterlocked.Update(ref _rooms, static (rooms, id) => rooms.Contains(id) ? rooms : rooms.Add(id), roomId);

    internal void Leave(Guid roomId) =>
        ImmutableInterlocked.Update(ref _rooms, static (rooms, id) => rooms.Remove(id), roomId);

    /// <summary>
    /// A room acknowledged a signal of this connection under <paramref name="seq"/>. The last few are kept: if that
    /// room's silo dies before the signal reaches its recipient, the room's next activation gets them back from here
    /// (<see cref="IConsultationRoomGrain.Restore"/>), as nothing else outlives that silo.
    /// </summary>
    public void Acknowledged(Guid roomId, long seq, RoomMessage message)
    {
        var sent = Volatile.Read(ref _sent);
        if (sent is null)
        {
            Interlocked.CompareExchange(ref _sent, new Queue<Kept>(SentCapacity), null);
            sent = _sent;
        }

        lock (sent)
        {
            if (sent.Count == SentCapacity)
            {
                sent.Dequeue().Payload.Release();
            }

            var kept = new Kept(roomId, seq, message with { Kind = SignalKinds.Canonical(message.Kind), Payload = string.Empty }, KeptPayload.Keep(message.Payload));
            sent.Enqueue(kept);
        }
    }

    /// <summary>The kept signals acknowledged in <paramref name="roomId"/>, oldest first.</summary>
    public ImmutableArray<SentSignal> Sent(Guid roomId)
    {
        var sent = Volatile.Read(ref _sent);
        if (sent is null)
        {
            return [];
        }

        lock (sent)
        {
            return [.. sent.Where(s => s.Room == roomId).Select(s => new SentSignal(s.Seq, s.Message with { Payload = s.Payload.Read() }))];
        }
    }

    /// <summary>The connection closed: its kept payloads go back to the pool, and nothing is restored from it.</summary>
    internal void Forget()
    {
        var sent = Volatile.Read(ref _sent);
        if (sent is null)
        {
            return;
        }

        lock (sent)
        {
            while (sent.TryDequeue(out var kept))
            {
                kept.Payload.Release();
            }
        }
    }

    private readonly record struct Kept(Guid Room, long Seq, RoomMessage Message, KeptPayload Payload);
}
