using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Telemedicina.ClusterTests.Reliability;

/// <summary>How the hub answered one raw frame.</summary>
internal enum HubOutcome
{
    /// <summary>A completion with an error (a HubException on a real client).</summary>
    Refused,

    /// <summary>A completion without an error.</summary>
    Completed,

    /// <summary>The server closed the connection (a close message or the socket closed).</summary>
    Closed,

    /// <summary>No answer for the frame, and the connection still answers a ping.</summary>
    Ignored,

    /// <summary>Neither an answer nor a close: the connection stopped answering (always a failure).</summary>
    Hung,
}

/// <summary>The answer to one frame: the outcome and the text the client saw (error or close reason).</summary>
internal sealed record HubAnswer(HubOutcome Outcome, string? Text);

/// <summary>
/// A SignalR JSON-protocol client over a bare WebSocket, so a test can send what no real client
/// library would: any target, any argument JSON, malformed or oversized frames. Completions are
/// matched by invocation id; events the server pushes are counted by target.
/// </summary>
internal sealed class RawHubConnection : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _events = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<string?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Channel<JsonElement> _handshake = Channel.CreateUnbounded<JsonElement>();
    private Task _receive = Task.CompletedTask;
    private int _nextId;

    private RawHubConnection(ClientWebSocket socket) => _socket = socket;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Completes with the close reason (null for none) when the server ends the connection.</summary>
    public Task<string?> Closed => _closed.Task;

    public int EventCount(string target) => _events.TryGetValue(target, out var n) ? n : 0;

    public static async Task<RawHubConnection> ConnectAsync(Uri baseUrl, string? token, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        var query = token is null ? "" : "?access_token=" + Uri.EscapeDataString(token);
        var uri = new Uri($"ws://{baseUrl.Authority}/hubs/consultation{query}");
        await socket.ConnectAsync(uri, ct);
        var connection = new RawHubConnection(socket);
        connection._receive = connection.ReceiveLoopAsync();
        await connection.SendFrameAsync("{\"protocol\":\"json\",\"version\":1}" + RecordSeparator, ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        var handshake = await connection._handshake.Reader.ReadAsync(timeout.Token);
        if (handshake.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException("Hub handshake refused: " + error.GetString());
        }

        // Answered after OnConnectedAsync has registered the connection.
        var ping = await connection.InvokeAsync("Ping", "[]", ct);
        if (ping.Outcome != HubOutcome.Completed)
        {
            throw new InvalidOperationException($"Ping after connecting: {ping}");
        }

        return connection;
    }

    /// <summary>Invokes <paramref name="target"/> with a raw JSON array of arguments and waits for its completion.</summary>
    public Task<HubAnswer> InvokeAsync(string target, string argumentsJson, CancellationToken ct) =>
        InvokeFrameAsync(id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":{JsonSerializer.Serialize(target)},\"arguments\":{argumentsJson}}}", ct);

    /// <summary>Sends a frame built around a fresh invocation id and waits for its completion, the close, or silence.</summary>
    public async Task<HubAnswer> InvokeFrameAsync(Func<string, string> frame, CancellationToken ct, bool appendSeparator = true, TimeSpan? wait = null)
    {
        var patience = wait ?? TimeSpan.FromSeconds(10);
        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        try
        {
            if (!await TrySendAsync(frame(id) + (appendSeparator ? RecordSeparator.ToString() : ""), ct))
            {
                return new HubAnswer(HubOutcome.Closed, await ClosedReasonAsync());
            }

            var done = await Task.WhenAny(completion.Task, _closed.Task, Task.Delay(patience, ct));
            if (done == completion.Task)
            {
                var message = completion.Task.Result;
                return message.TryGetProperty("error", out var error)
                    ? new HubAnswer(HubOutcome.Refused, error.GetString())
                    : new HubAnswer(HubOutcome.Completed, message.TryGetProperty("result", out var result) ? result.GetRawText() : null);
            }

            if (done == _closed.Task)
            {
                return new HubAnswer(HubOutcome.Closed, _closed.Task.Result);
            }

            return await ProbeAsync(ct, patience);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Sends a frame that expects no completion, then pings: ignored if the connection answers, closed otherwise.</summary>
    public async Task<HubAnswer> SendAndProbeAsync(string frame, CancellationToken ct)
    {
        if (!await TrySendAsync(frame, ct))
        {
            return new HubAnswer(HubOutcome.Closed, await ClosedReasonAsync());
        }

        return await ProbeAsync(ct);
    }

    /// <summary>Sends without waiting for anything (floods).</summary>
    public Task<bool> SendOnlyAsync(string frame, CancellationToken ct) => TrySendAsync(frame, ct);

    public static string InvocationFrame(string? id, string target, string argumentsJson) =>
        (id is null
            ? $"{{\"type\":1,\"target\":{JsonSerializer.Serialize(target)},\"arguments\":{argumentsJson}}}"
            : $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":{JsonSerializer.Serialize(target)},\"arguments\":{argumentsJson}}}") + RecordSeparator;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }

        await _stop.CancelAsync();
        await _receive;
        _socket.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }

    private async Task<HubAnswer> ProbeAsync(CancellationToken ct, TimeSpan? wait = null)
    {
        var patience = wait ?? TimeSpan.FromSeconds(10);
        var id = "probe" + Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        try
        {
            if (!await TrySendAsync(InvocationFrame(id, "Ping", "[]"), ct))
            {
                return new HubAnswer(HubOutcome.Closed, await ClosedReasonAsync());
            }

            var done = await Task.WhenAny(completion.Task, _closed.Task, Task.Delay(patience, ct));
            if (done == completion.Task)
            {
                return new HubAnswer(HubOutcome.Ignored, null);
            }

            return done == _closed.Task
                ? new HubAnswer(HubOutcome.Closed, _closed.Task.Result)
                : new HubAnswer(HubOutcome.Hung, $"The hub neither answered a ping nor closed the connection within {patience.TotalSeconds:0} s.");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task<string?> ClosedReasonAsync() =>
        await Task.WhenAny(_closed.Task, Task.Delay(TimeSpan.FromSeconds(5))) == _closed.Task ? _closed.Task.Result : "socket closed";

    private async Task<bool> TrySendAsync(string frame, CancellationToken ct)
    {
        if (IsClosed)
        {
            return false;
        }

        try
        {
            await SendFrameAsync(frame, ct);
            return true;
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            _closed.TrySetResult("socket closed while sending");
            return false;
        }
    }

    private async Task SendFrameAsync(string frame, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        await _sendLock.WaitAsync(ct);
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        var handshakeDone = false;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(received.CloseStatusDescription);
                    return;
                }

                text.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
                int end;
                while ((end = text.ToString().IndexOf(RecordSeparator, StringComparison.Ordinal)) >= 0)
                {
                    var record = text.ToString(0, end);
                    text.Remove(0, end + 1);
                    using var document = JsonDocument.Parse(record);
                    var message = document.RootElement.Clone();
                    if (!handshakeDone)
                    {
                        handshakeDone = true;
                        _handshake.Writer.TryWrite(message);
                        continue;
                    }

                    Dispatch(message);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            _closed.TrySetResult("socket closed");
        }
        finally
        {
            _closed.TrySetResult("socket closed");
            _handshake.Writer.TryComplete();
        }
    }

    private void Dispatch(JsonElement message)
    {
        switch (message.GetProperty("type").GetInt32())
        {
            case 1 when message.TryGetProperty("target", out var target):
                _events.AddOrUpdate(target.GetString()!, 1, (_, n) => n + 1);
                break;
            case 3 when message.TryGetProperty("invocationId", out var id) && _pending.TryGetValue(id.GetString()!, out var completion):
                completion.TrySetResult(message);
                break;
            case 7:
                _closed.TrySetResult(message.TryGetProperty("error", out var error) ? error.GetString() : null);
                break;
            default:
                break;
        }
    }
}
