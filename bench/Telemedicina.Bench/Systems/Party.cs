using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Telemedicina.Bench.Systems;

/// <summary>One side of a room: a user and its hub connection, with the generator's message counters.</summary>
internal sealed class Party(Guid userId, HubConnection connection)
{
    public Guid UserId { get; } = userId;

    /// <summary>The party's hub connection; S5 replaces it when the party reconnects to a surviving node.</summary>
    public HubConnection Connection { get; set; } = connection;

    public Guid RoomId { get; set; }

    public Guid CounterpartId { get; set; }

    /// <summary>Number of the last message this party sent (1, 2, 3, ... over the whole run).</summary>
    public long LastSent;

    /// <summary>Highest message number received from the counterpart (touched only by this connection's handler).</summary>
    public long LastReceived;

    /// <summary>The server's sequence number of the last signal this party handled (ResumeRoom's lastSeq).</summary>
    public long LastSeq;
}

/// <summary>A two-party room, party A on one node and B on the other (or both on one for the limit system).</summary>
internal sealed record Room(Guid RoomId, Party A, Party B);

/// <summary>Receives every "Signal" event of every party; the running scenario sets <see cref="Current"/>.</summary>
internal sealed class SignalSink
{
    public Action<Party, string>? Current { get; set; }

    public void OnSignal(Party receiver, SignalIn signal)
    {
        // Handlers of one connection run one at a time; a replay after ResumeRoom never goes below it.
        if (signal.Seq > receiver.LastSeq)
        {
            receiver.LastSeq = signal.Seq;
        }

        Current?.Invoke(receiver, signal.Payload);
    }
}

/// <summary>The "Signal" event as both hubs send it: the payload, and the sequence number a resuming client hands back.</summary>
internal sealed record SignalIn(string Payload, long Seq = 0);

internal static class BenchClient
{
    /// <summary>A hub connection as browsers open it: WebSockets only, no negotiate round trip, JSON protocol.</summary>
    public static HubConnection Build(Uri hubUrl, Func<string?>? accessToken = null) =>
        new HubConnectionBuilder()
            .WithUrl(hubUrl, o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                if (accessToken is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult(accessToken());
                }
            })
            .Build();

    /// <summary>Registers the signal handler, starts, and waits for a Ping so the server has registered the connection.</summary>
    public static async Task<Party> ConnectAsync(Guid userId, Uri hubUrl, SignalSink sink, Func<string?>? accessToken, CancellationToken ct)
    {
        var connection = Build(hubUrl, accessToken);
        var party = new Party(userId, connection);
        connection.On<SignalIn>("Signal", e => sink.OnSignal(party, e));
        await connection.StartAsync(ct);
        await connection.InvokeAsync<string>("Ping", ct);
        return party;
    }
}
