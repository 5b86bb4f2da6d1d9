using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Telemedicina.Testing;

/// <summary>
/// A real SignalR client of the consultation hub (WebSockets, skipNegotiation, as browsers use it)
/// that records every server event in per-kind channels for assertions.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Channel<JsonElement>> _events = new(StringComparer.Ordinal);

    private HubClient(HubConnection connection) => Connection = connection;

    public HubConnection Connection { get; }

    public static readonly string[] EventNames = ["CallRequested", "CallStatusChanged", "PeerJoined", "PeerLeft", "Signal", "Chat", "PresenceChanged"];

    public static async Task<HubClient> ConnectAsync(Uri baseUrl, Func<string> token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseUrl, "/hubs/consultation"), o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(token());
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)))
            // The .NET client times the server out on the wall clock (DateTime.UtcNow, unlike the server and the
            // browser client): when the CI VM was paused for ~24 s and its wall clock stepped forward on resume, every
            // test client that had not heard a ping in the last 6 s closed its connection at once, and a test waiting
            // for an event never got it. A dead silo closes its sockets (kill -9 resets them); a silent server is
            // still noticed, after 2 minutes.
            .WithServerTimeout(TimeSpan.FromMinutes(2))
            .Build();
        var client = new HubClient(connection);
        foreach (var name in EventNames)
        {
            var channel = client.Channel(name);
            connection.On<JsonElement>(name, e => channel.Writer.TryWrite(e.Clone()));
        }

        await connection.StartAsync();

        // Answered after OnConnectedAsync: from here on, events for this user reach this connection.
        await connection.InvokeAsync<string>("Ping");
        return client;
    }

    /// <summary>Waits for the next event of a kind (optionally matching), failing with a message naming it.</summary>
    public async Task<T> NextAsync<T>(string eventName, TimeSpan? timeout = null, Func<T, bool>? match = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                var element = await Channel(eventName).Reader.ReadAsync(cts.Token);
                var value = element.Deserialize<T>(ApiJson.Options)!;
                if (match is null || match(value))
                {
                    return value;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No {eventName} event arrived within {timeout ?? TimeSpan.FromSeconds(15)}.");
        }
    }

    /// <summary>How many events of a kind are waiting unread.</summary>
    public int Pending(string eventName) => Channel(eventName).Reader.Count;

    public int PendingTotal() => EventNames.Sum(Pending);

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    private Channel<JsonElement> Channel(string name) => _events.GetOrAdd(name, _ => System.Threading.Channels.Channel.CreateUnbounded<JsonElement>());
}
