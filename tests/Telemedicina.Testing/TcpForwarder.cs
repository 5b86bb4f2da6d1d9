using System.Net;
using System.Net.Sockets;

namespace Telemedicina.Testing;

/// <summary>
/// A TCP forwarder on a free port of <c>address</c> to a port on loopback: lets a namespaced silo reach PostgreSQL,
/// which listens on loopback only, and lets a test refuse the next connections (accepted, then closed at once, as a
/// database or a proxy that drops them).
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _refuse;
    private int _refused;

    private TcpForwarder(TcpListener listener, int targetPort)
    {
        _listener = listener;
        _accepting = AcceptAsync(targetPort);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections were refused so far.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public static TcpForwarder Start(string address, int targetPort)
    {
        var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return new TcpForwarder(listener, targetPort);
    }

    /// <summary>Closes the next <paramref name="connections"/> connections as soon as they are accepted.</summary>
    public void RefuseNext(int connections) => Volatile.Write(ref _refuse, connections);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private bool TakeRefusal()
    {
        int left;
        do
        {
            left = Volatile.Read(ref _refuse);
        }
        while (left > 0 && Interlocked.CompareExchange(ref _refuse, left - 1, left) != left);

        return left > 0;
    }

    private async Task AcceptAsync(int targetPort)
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            if (TakeRefusal())
            {
                Interlocked.Increment(ref _refused);
                client.Dispose();
                continue;
            }

            _ = Task.Run(async () =>
            {
                using var inbound = client;
                using var outbound = new TcpClient();
                try
                {
                    await outbound.ConnectAsync(IPAddress.Loopback, targetPort, _stop.Token);
                    var a = inbound.GetStream();
                    var b = outbound.GetStream();
                    await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // One side closed: both go.
                }
            });
        }
    }
}
