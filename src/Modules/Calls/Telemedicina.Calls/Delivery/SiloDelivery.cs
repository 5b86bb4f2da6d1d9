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
/// only enqueues; lanes keyed by connection id write to the sockets, so messages to one
/// connection keep their order and a slow client stalls only its own lane.
/// </summary>
public sealed partial class SiloDelivery : BackgroundService, ISiloDeliveryObserver
{
    private readonly Channel<(string ConnectionId, ClientEvent Event)>[] _lanes;
    private readonly IHubContext<ConsultationHub> _hub;
    private readonly IGrainFactory _grains;
    private readonly ILogger<SiloDelivery> _logger;
    private readonly Lock _gate = new();
    private ISiloDeliveryObserver? _reference;

    public SiloDelivery(IHubContext<ConsultationHub> hub, IGrainFactory grains, ILocalSiloDetails silo, ILogger<SiloDelivery> logger)
    {
        _hub = hub;
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
        foreach (var connectionId in delivery.ConnectionIds)
        {
            _lanes[Lane(connectionId)].Writer.TryWrite((connectionId, delivery.Event));
        }

        return Task.CompletedTask;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_lanes.Select(lane => Task.Run(() => DrainAsync(lane.Reader, stoppingToken), stoppingToken)));

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
