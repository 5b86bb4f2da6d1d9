using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Calls.Delivery;

/// <summary>
/// When membership declares a silo dead, the presence and room grains it hosted are re-activated
/// elsewhere without their in-memory connections. This service re-registers every connection this
/// silo holds (presence, and each joined room), so users on surviving silos keep receiving events
/// without reconnecting. Re-registering is idempotent for grains that did not move. It also registers
/// again the connections a presence activation hands back as it goes (<see cref="ISiloDeliveryObserver.RegisterPresenceAgain"/>).
/// </summary>
public sealed partial class MembershipRecovery(
    IClusterMembershipService membership,
    LocalConnections connections,
    SiloDelivery delivery,
    IGrainFactory grains,
    MembershipRefresh refresh,
    ILogger<MembershipRecovery> logger) : BackgroundService
{
    /// <summary>Connections re-registered at once after a silo loss.</summary>
    internal const int ReRegisterParallelism = 32;

    /// <summary>How long a registration the cluster refused is retried.</summary>
    private static readonly TimeSpan RetryFor = TimeSpan.FromMinutes(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(WatchMembershipAsync(stoppingToken), RegisterPresenceAgainAsync(stoppingToken));

    private async Task WatchMembershipAsync(CancellationToken stoppingToken)
    {
        var dead = new HashSet<SiloAddress>();
        var first = true;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var newlyDead = snapshot.Members.Values
                    .Where(m => m.Status == SiloStatus.Dead && dead.Add(m.SiloAddress))
                    .Select(m => m.SiloAddress)
                    .ToList();

                // The first snapshot lists deaths from before this silo started: nothing of ours was there.
                if (!first && newlyDead.Count > 0 && connections.Count > 0)
                {
                    await ReRegisterAsync(newlyDead, stoppingToken);
                }

                first = false;
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    // A presence activation that held connections of this silo is going away, usually because its own silo is
    // stopping (a deploy or a scale-in), and said so (ISiloDeliveryObserver.RegisterPresenceAgain). Registering them
    // now activates the presence on a silo that stays. Waiting for the silo to be declared dead instead left these
    // users unreachable meanwhile: a doctor was not rung, a patient did not see the call accepted.
    private async Task RegisterPresenceAgainAsync(CancellationToken stoppingToken)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = ReRegisterParallelism, CancellationToken = stoppingToken };
        try
        {
            await foreach (var connectionIds in delivery.PresenceAgain.ReadAllAsync(stoppingToken))
            {
                var started = DateTime.UtcNow;
                var registered = 0;
                await Parallel.ForEachAsync(connectionIds, options, async (connectionId, _) =>
                {
                    if (connections.UserOf(connectionId) is { } userId)
                    {
                        await RegisterPresenceAsync(userId, connectionId);
                        Interlocked.Increment(ref registered);
                    }
                });

                if (registered > 0)
                {
                    LogPresenceRegisteredAgain(logger, registered, (DateTime.UtcNow - started).TotalMilliseconds);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>
    /// Registers a new connection's presence; when the presence grain is unreachable (its silo just
    /// died and membership has not declared it yet) keeps retrying in the background for a minute
    /// instead of refusing the connection.
    /// </summary>
    public async Task RegisterPresenceAsync(Guid userId, string connectionId)
    {
        var presence = grains.GetGrain<IUserPresenceGrain>(userId);
        try
        {
            await presence.Connect(delivery.Connection(connectionId));
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            LogRegistrationDeferred(logger, e, connectionId);
            refresh.OnUnreachable();
            _ = Task.Run(() => RetryAsync(connectionId, () => presence.Connect(delivery.Connection(connectionId))));
        }
    }

    // Retries a registration the cluster refused for a moment (the grain's silo just died and this silo's view still
    // routes to it): after 250 ms, 500 ms, then every second, for a minute or until the connection closes.
    private async Task RetryAsync(string connectionId, Func<Task> register)
    {
        var giveUp = Stopwatch.StartNew();
        for (var delay = TimeSpan.FromMilliseconds(250); giveUp.Elapsed < RetryFor; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.TicksPerSecond)))
        {
            await Task.Delay(delay);
            if (!connections.Contains(connectionId))
            {
                return;
            }

            try
            {
                await register();
                return;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                LogRegistrationDeferred(logger, e, connectionId);
                refresh.OnUnreachable();
            }
        }

        if (connections.Contains(connectionId))
        {
            LogRegistrationGivenUp(logger, connectionId);
        }
    }

    // Connections are re-registered several at a time: one at a time, a silo holding a few hundred connections whose
    // rooms moved took seconds to reach the last, and a party whose connection the room does not know yet gets no
    // signal. Each connection's own steps stay in order (presence first, then its rooms).
    private async Task ReRegisterAsync(List<SiloAddress> lost, CancellationToken stoppingToken)
    {
        var started = DateTime.UtcNow;
        var all = connections.Snapshot();
        var rooms = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = ReRegisterParallelism, CancellationToken = stoppingToken };
        await Parallel.ForEachAsync(all, options, async (entry, cancellation) =>
        {
            var (connectionId, userId, _) = entry;
            try
            {
                Interlocked.Add(ref rooms, await ReRegisterAsync(connectionId, userId));
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                // Mostly SiloUnavailableException, right after the loss (CI logs: 23 of about 370 re-registrations).
                // Left alone, the room did not know this connection until it sent something itself: a party that
                // only listened got nothing.
                LogReRegisterDeferred(logger, connectionId, e.GetType().Name);
                refresh.OnUnreachable();
                _ = Task.Run(() => RetryAsync(connectionId, async () => LogReRegisteredOnRetry(logger, connectionId, await ReRegisterAsync(connectionId, userId))), CancellationToken.None);
            }
        });

        LogReRegistered(logger, string.Join(", ", lost), all.Count, rooms, (DateTime.UtcNow - started).TotalMilliseconds);
    }

    // One connection's steps in order: its presence, then each room it is in (those it is in now, on a retry).
    // Returns how many rooms took it back.
    private async Task<int> ReRegisterAsync(string connectionId, Guid userId)
    {
        var connection = delivery.Connection(connectionId);
        await grains.GetGrain<IUserPresenceGrain>(userId).Connect(connection);
        var restored = 0;
        foreach (var roomId in connections.RoomsOf(connectionId))
        {
            try
            {
                await grains.GetGrain<IConsultationRoomGrain>(roomId).Restore(userId, connection, connections.Sent(connectionId, roomId));
                restored++;
            }
            catch (CallRuleException)
            {
                // The call is over: nothing to restore.
                connections.Left(connectionId, roomId);
            }
        }

        return restored;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "A presence activation went away: registered {Connections} connection(s) with the next in {Elapsed:0} ms")]
    private static partial void LogPresenceRegisteredAgain(ILogger logger, int connections, double elapsed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo(s) {Lost} declared dead: re-registered {Connections} local connection(s) and {Rooms} room membership(s) in {Elapsed:0} ms")]
    private static partial void LogReRegistered(ILogger logger, string lost, int connections, int rooms, double elapsed);

    // The summary above counts only the first attempts; without this, a connection that made it on a retry was told
    // apart from one still waiting only by the absence of the give-up warning a minute later.
    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {ConnectionId} re-registered after a silo loss on a retry: {Rooms} room membership(s)")]
    private static partial void LogReRegisteredOnRetry(ILogger logger, string connectionId, int rooms);

    // Debug: while a crashed silo is being declared dead every connection whose presence it hosted retries here, up to
    // once a second; a stack trace per attempt was hundreds of entries per silo and a share of its CPU when it had none
    // to spare. A registration that never succeeds is a warning (below).
    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} not registered yet (grain unreachable); retrying")]
    private static partial void LogRegistrationDeferred(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} could not be registered with its presence or rooms for a minute; the user may receive no events on it until they reconnect")]
    private static partial void LogRegistrationGivenUp(ILogger logger, string connectionId);

    // Without the stack trace: a silo that held many connections can log one per connection.
    [LoggerMessage(Level = LogLevel.Information, Message = "Re-registering connection {ConnectionId} after a silo loss was refused ({Error}); retrying")]
    private static partial void LogReRegisterDeferred(ILogger logger, string connectionId, string error);
}
