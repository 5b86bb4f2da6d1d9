using Microsoft.AspNetCore.SignalR.Client;

namespace Telemedicina.Bench.Systems;

/// <summary>
/// A system the generator drives: it starts its own processes, opens rooms (two connected parties each)
/// and names the processes whose CPU counts as its cost. New scenarios (S4, S5) use the same surface.
/// </summary>
internal abstract class SystemUnderTest : IAsyncDisposable
{
    public abstract string Name { get; }

    /// <summary>The processes whose CPU time is charged to this system (servers, backplane).</summary>
    public abstract IReadOnlyList<int> ServerPids { get; }

    public SignalSink Sink { get; } = new();

    public List<Room> Rooms { get; } = [];

    public abstract Task StartAsync(CancellationToken ct);

    /// <summary>
    /// Reconnects parties whose connection was closed (on a starved machine a keep-alive can be missed while
    /// another system is under load); returns how many. Ours re-joins the room as a browser would.
    /// </summary>
    public Task<int> EnsureConnectedAsync(int rooms, CancellationToken ct) =>
        RestartClosedAsync(Rooms.Take(rooms).SelectMany(r => new[] { r.A, r.B }), RejoinAsync, ct);

    /// <summary>Starts again the connections of <paramref name="parties"/> that were closed, then <paramref name="then"/> each; returns how many.</summary>
    protected static async Task<int> RestartClosedAsync(IEnumerable<Party> parties, Func<Party, CancellationToken, Task>? then, CancellationToken ct)
    {
        var dropped = parties.Where(p => p.Connection.State == HubConnectionState.Disconnected).ToList();
        await Parallel.ForEachAsync(dropped, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (party, token) =>
        {
            await party.Connection.StartAsync(token);
            await party.Connection.InvokeAsync<string>("Ping", token);
            if (then is not null)
            {
                await then(party, token);
            }
        });
        return dropped.Count;
    }

    protected virtual Task RejoinAsync(Party party, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// S5: moves <paramref name="party"/> onto <paramref name="connection"/> (a new one to a surviving node): its signals
    /// go to the sink, it is started and known to the hub, and the party's old connection is disposed in the background.
    /// </summary>
    protected async Task SwitchConnectionAsync(Party party, HubConnection connection, CancellationToken ct)
    {
        connection.On<SignalIn>("Signal", e => Sink.OnSignal(party, e));
        await connection.StartAsync(ct);
        await connection.InvokeAsync<string>("Ping", ct);
        var old = party.Connection;
        party.Connection = connection;
        _ = old.DisposeAsync().AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Opens <paramref name="count"/> rooms with both parties connected and ready to signal.</summary>
    public abstract Task OpenRoomsAsync(int count, CancellationToken ct);

    public virtual async ValueTask DisposeAsync()
    {
        await Parallel.ForEachAsync(Rooms.SelectMany(r => new[] { r.A, r.B }), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (party, _) =>
            {
                try
                {
                    await party.Connection.DisposeAsync();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Closing after the run: the server may already be gone.
                }
            });
        Rooms.Clear();
    }
}
