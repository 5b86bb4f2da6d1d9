using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Calls.Hub;

/// <summary>
/// Numbers the messages one hub connection forwards to rooms (1, 2, 3, ... in its own stream), and keeps
/// the number of a message whose forwarding failed ambiguously: an Orleans failure or a timeout after the
/// room may already have relayed it (its answer was lost when the room's silo stopped, say). The client
/// sends it again after the "tente novamente" answer; that retry (same room, recipient, kind and payload)
/// gets the same number, and the room, which remembers the numbers it relayed, drops it instead of relaying
/// it twice. A retry of a message the room never saw is relayed as usual. Thread-safe.
/// </summary>
internal sealed class SendNumbering
{
    /// <summary>Unconfirmed messages kept per connection; the oldest goes first.</summary>
    internal const int Capacity = 16;

    private readonly Lock _gate = new();

    // Allocated on the first ambiguous failure: most connections never have one (a silo holds ~19,500 of them).
    private List<(Guid Room, RoomMessage Message)>? _unconfirmed;
    private long _seq;

    public Guid Stream { get; } = Guid.NewGuid();

    /// <summary>The message to forward: a retry of an unconfirmed one keeps its number, anything else gets the next.</summary>
    public RoomMessage Next(Guid room, Guid from, string connectionId, Guid to, string kind, string payload)
    {
        lock (_gate)
        {
            var index = _unconfirmed is null ? -1 : _unconfirmed.FindIndex(u => u.Room == room && u.Message.ToUserId == to
                && string.Equals(u.Message.Kind, kind, StringComparison.Ordinal)
                && string.Equals(u.Message.Payload, payload, StringComparison.Ordinal));
            if (index >= 0)
            {
                var retry = _unconfirmed![index].Message;
                _unconfirmed.RemoveAt(index);
                return retry;
            }

            return new RoomMessage(from, connectionId, Stream, ++_seq, to, kind, payload);
        }
    }

    /// <summary>Forwarding <paramref name="message"/> failed in a way that does not tell whether the room relayed it.</summary>
    public void Unconfirmed(Guid room, RoomMessage message)
    {
        lock (_gate)
        {
            _unconfirmed ??= [];
            if (_unconfirmed.Count == Capacity)
            {
                _unconfirmed.RemoveAt(0);
            }

            _unconfirmed.Add((room, message));
        }
    }
}
