using System.Collections.Concurrent;
using System.Collections.Immutable;

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

    public void Add(string connectionId, Guid userId) => _connections[connectionId] = new LocalConnection(userId);

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    public bool Contains(string connectionId) => _connections.ContainsKey(connectionId);

    /// <summary>Whose connection this is, while this silo holds it.</summary>
    public Guid? UserOf(string connectionId) => _connections.TryGetValue(connectionId, out var c) ? c.UserId : null;

    public void Joined(string connectionId, Guid roomId) => _connections.GetValueOrDefault(connectionId)?.Join(roomId);

    public void Left(string connectionId, Guid roomId) => _connections.GetValueOrDefault(connectionId)?.Leave(roomId);

    /// <summary>A snapshot: (connection id, user id, joined rooms).</summary>
    public IReadOnlyList<(string ConnectionId, Guid UserId, Guid[] Rooms)> Snapshot() =>
        [.. _connections.Select(c => (c.Key, c.Value.UserId, c.Value.Rooms.ToArray()))];
}

/// <summary>One hub connection held by this silo (see <see cref="LocalConnections"/>).</summary>
internal sealed class LocalConnection(Guid userId)
{
    private ImmutableArray<Guid> _rooms = [];

    public Guid UserId { get; } = userId;

    /// <summary>The rooms joined; read by membership recovery while the hub changes it.</summary>
    public ImmutableArray<Guid> Rooms => _rooms;

    internal void Join(Guid roomId) =>
        ImmutableInterlocked.Update(ref _rooms, static (rooms, id) => rooms.Contains(id) ? rooms : rooms.Add(id), roomId);

    internal void Leave(Guid roomId) =>
        ImmutableInterlocked.Update(ref _rooms, static (rooms, id) => rooms.Remove(id), roomId);
}
