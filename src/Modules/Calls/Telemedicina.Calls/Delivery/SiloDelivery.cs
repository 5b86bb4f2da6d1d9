using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Telemedicina.Calls.Hub;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Calls.Delivery;

/// <summary>
/// This silo's delivery endpoint (DESIGN "Real-time routing", step 1): one grain observer per silo
/// that grains call to reach the WebSockets held here. <see cref="ISiloDeliveryObserver.Deliver"/>
/// only restores the sender's order and enqueues; lanes keyed by connection id write to the
/// sockets, so messages to one connection keep their order and a slow client stalls only its lane.
/// </summary>
public sealed partial class SiloDelivery : BackgroundService, ISiloDeliveryObserver, ILocalDelivery
{
    private readonly Channel<(string ConnectionId, ClientEvent Event)>[] _lanes;
    private readonly IHubContext<ConsultationHub> _hub;
    private readonly IGrainFactory _grains;
    private readonly ILogger<SiloDelivery> _logger;
    private readonly Lock _gate = new();
    private readonly StreamReorderer<Grains.Abstractions.Delivery> _reorderer;
    private readonly Action<Grains.Abstractions.Delivery> _dispatch;
    private readonly Channel<ImmutableArray<string>> _presenceAgain = Channel.CreateUnbounded<ImmutableArray<string>>(new UnboundedChannelOptions { SingleReader = true });
    private ISiloDeliveryObserver? _reference;

    public SiloDelivery(IHubContext<ConsultationHub> hub, IGrainFactory grains, ILocalSiloDetails silo, TimeProvider clock, ILogger<SiloDelivery> logger)
    {
        _hub = hub;
        _reorderer = new StreamReorderer<Grains.Abstractions.Delivery>(clock);
        _dispatch = Dispatch;
        _grains = grains;
        _logger = logger;
        Silo = silo.SiloAddress;
        _lanes = Enumerable.Range(0, Math.Max(4, Environment.ProcessorCount * 4))
            .Select(_ => Channel.CreateUnbounded<(string, ClientEvent)>(new UnboundedChannelOptions { SingleReader = true }))
            .ToArray();
    }

    /// <summary>This silo's address, stored with each connection so grains can group by silo.</summary>
    public SiloAddress Silo { get; }

    /// <summary>The observer reference grains call; created once, after the silo has started.</summary>
    public ISiloDeliveryObserver Reference
    {
        get
        {
            if (_reference is { } existing)
            {
                return existing;
            }

            lock (_gate)
            {
                // Held strongly by this singleton for the life of the silo, so it is never collected.
                return _reference ??= _grains.CreateObjectReference<ISiloDeliveryObserver>(this);
            }
        }
    }

    public UserConnection Connection(string connectionId) => new(connectionId, Silo, Reference);

    public Task Deliver(Grains.Abstractions.Delivery delivery)
    {
        _reorderer.Accept(delivery.Stream, delivery.Seq, delivery, _dispatch);
        return Task.CompletedTask;
    }

    // From a grain on this silo (DeliveryRouter), in the grain's turn: nothing can overtake it on the way, so it needs
    // no reordering (and takes no lock the silo's grains would contend for: the reorderer has one for every stream).
    void ILocalDelivery.Deliver(Grains.Abstractions.Delivery delivery) => Dispatch(delivery);

    public Task RegisterPresenceAgain(ImmutableArray<string> connectionIds)
    {
        _presenceAgain.Writer.TryWrite(connectionIds);
        return Task.CompletedTask;
    }

    /// <summary>Connections whose presence must be registered again (<see cref="MembershipRecovery"/> does it).</summary>
    internal ChannelReader<ImmutableArray<string>> PresenceAgain => _presenceAgain.Reader;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_lanes.Select(lane => Task.Run(() => DrainAsync(lane.Reader, stoppingToken), stoppingToken)).Append(SweepAsync(stoppingToken)));

    private void Dispatch(Grains.Abstractions.Delivery delivery)
    {
        foreach (var connectionId in delivery.ConnectionIds)
        {
            _lanes[Lane(connectionId)].Writer.TryWrite((connectionId, delivery.Event));
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                _reorderer.Sweep(_dispatch);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task DrainAsync(ChannelReader<(string ConnectionId, ClientEvent Event)> reader, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (connectionId, clientEvent) in reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await _hub.Clients.Client(connectionId).SendCoreAsync(clientEvent.HubMethod(), [clientEvent], stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogSendFailed(_logger, e, clientEvent.HubMethod());
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private int Lane(string connectionId) => (int)((uint)StringComparer.Ordinal.GetHashCode(connectionId) % (uint)_lanes.Length);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering {Method} to a local connection failed")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string method);
}
