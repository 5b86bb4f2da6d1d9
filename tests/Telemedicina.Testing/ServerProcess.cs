using System.Diagnostics;
using System.Net.Sockets;

namespace Telemedicina.Testing;

/// <summary>Starting, waiting for and stopping the helper servers the tests run (coturn, s3rver).</summary>
internal static class ServerProcess
{
    /// <summary>Starts <paramref name="start"/> with its output read and discarded (a full pipe would block it).</summary>
    public static Process Start(ProcessStartInfo start, string what)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{what} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Waits until the process accepts TCP connections on the loopback port; throws otherwise (the caller stops it).</summary>
    public static async Task WaitListeningAsync(Process process, int port, TimeSpan timeout, string what)
    {
        var deadline = Deadline.In(timeout);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (!deadline.Passed && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                throw new InvalidOperationException($"{what} did not listen on {port} within {timeout.TotalSeconds:0} s");
            }
        }
    }

    public static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
