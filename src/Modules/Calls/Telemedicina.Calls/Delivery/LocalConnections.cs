using System.Collections.Concurrent;

namespace Telemedicina.Calls.Delivery;

/// <summary>
/// The hub connections this silo holds: whose they are and which rooms they joined. Presence and
/// room membership live in grains as soft state; after a silo crash takes some of those grains
/// with it, every silo re-registers its own connections from here (<see cref="MembershipRecovery"/>).
/// </summary>
public sealed class LocalConnections
{
    private readonly ConcurrentDictionary<string, Entry> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    public void Add(string connectionId, Guid userId) => _connections[connectionId] = new Entry(userId);

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    public bool Contains(string connectionId) => _connections.ContainsKey(connectionId);

    public void Joined(string connectionId, Guid roomId)
    {
        if (_connections.TryGetValue(connectionId, out var entry))
        {
            entry.Rooms[roomId] = 0;
        }
    }

    public void Left(string connectionId, Guid roomId)
    {
        if (_connections.TryGetValue(connectionId, out var entry))
        {
            entry.Rooms.TryRemove(roomId, out _);
        }
    }

    /// <summary>A snapshot: (connection id, user id, joined rooms).</summary>
    public IReadOnlyList<(string ConnectionId, Guid UserId, Guid[] Rooms)> Snapshot() =>
        [.. _connections.Select(c => (c.Key, c.Value.UserId, c.Value.Rooms.Keys.ToArray()))];

    private sealed class Entry(Guid userId)
    {
        public Guid UserId { get; } = userId;

        public ConcurrentDictionary<Guid, byte> Rooms { get; } = new();
    }
}
