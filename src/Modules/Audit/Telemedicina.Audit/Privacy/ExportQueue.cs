using System.Threading.Channels;
using Microsoft.Extensions.Hosting;

namespace Telemedicina.Audit.Privacy;

/// <summary>
/// Builds requested exports in the background on the silo that took the request. The queue is only
/// a fast path: the request row is durable, and the privacy jobs build whatever this queue lost
/// (full queue, silo stopped or crashed).
/// </summary>
internal sealed class ExportQueue(DataExports exports) : BackgroundService
{
    private readonly Channel<Guid> _queue = Channel.CreateBounded<Guid>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Enqueue(Guid exportId) => _queue.Writer.TryWrite(exportId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var exportId in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            await exports.BuildAsync(exportId, stoppingToken);
        }
    }
}
