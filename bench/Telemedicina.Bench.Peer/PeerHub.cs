using Microsoft.AspNetCore.SignalR;

namespace Telemedicina.Bench.Peer;

/// <summary>The event the product's hub sends for a signal, with the same field names.</summary>
internal sealed record SignalEvent(Guid RoomId, Guid FromUserId, string Kind, string Payload, long Seq);

/// <summary>
/// Relays a signal to the target user's connections wherever they are (on a backplane: any node).
/// The sender's user id comes from <see cref="QueryUserIdProvider"/>; the sequence number is per connection,
/// like the product's per-recipient numbering it stands in for.
/// </summary>
internal sealed class PeerHub : Hub
{
    private const string SeqKey = "seq";

#pragma warning disable CA1822 // SignalR dispatches instance methods only.
    public string Ping() => "pong";
#pragma warning restore CA1822

    public Task Signal(string roomId, string toUserId, string kind, string payload)
    {
        if (!Guid.TryParse(roomId, out var room) || !Guid.TryParse(toUserId, out _) || payload is null)
        {
            throw new HubException("Invalid signal.");
        }

        var seq = Context.Items.TryGetValue(SeqKey, out var last) ? (long)last! + 1 : 1;
        Context.Items[SeqKey] = seq;
        var from = Guid.Parse(Context.UserIdentifier!);
        return Clients.User(toUserId).SendAsync("Signal", new SignalEvent(room, from, kind, payload, seq));
    }
}

/// <summary>The user of a connection is the <c>user</c> query parameter (benchmark only: no authentication).</summary>
internal sealed class QueryUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) =>
        connection.GetHttpContext()?.Request.Query["user"].ToString() is { Length: > 0 } user && Guid.TryParse(user, out _)
            ? user
            : Guid.Empty.ToString();
}
