using System.Diagnostics;
using System.Security.Cryptography;

namespace Telemedicina.Testing;

/// <summary>
/// A real coturn (<c>turnserver</c>) on loopback with TURN REST (shared-secret) authentication,
/// the way production runs it, plus loopback peers allowed because both browsers are on this host.
/// </summary>
public sealed class TurnServer : IAsyncDisposable
{
    private readonly Process _process;

    private TurnServer(Process process, int port, string secret)
    {
        _process = process;
        Port = port;
        Secret = secret;
    }

    public int Port { get; }

    public string Secret { get; }

    public string Url => $"turn:127.0.0.1:{Port}?transport=udp";

    /// <summary>Configuration for silos that hand out credentials for this server.</summary>
    public IReadOnlyDictionary<string, string> SiloEnvironment => new Dictionary<string, string>
    {
        ["Turn__Urls__0"] = Url,
        ["Turn__Secret"] = Secret,
    };

    public static async Task<TurnServer> StartAsync()
    {
        if (!File.Exists("/usr/bin/turnserver"))
        {
            throw new InvalidOperationException("coturn is not installed (/usr/bin/turnserver); ./test.sh installs it.");
        }

        var port = PostgresServer.FreeTcpPort();
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var relayBase = 49152 + Random.Shared.Next(0, 60) * 200;
        var start = new ProcessStartInfo("/usr/bin/turnserver");
        foreach (var arg in new[]
        {
            "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", $"--listening-port={port}",
            "--use-auth-secret", $"--static-auth-secret={secret}", "--realm=telemedicina.test",
            "--allow-loopback-peers", "--no-cli", "--no-tls", "--no-dtls",
            $"--min-port={relayBase}", $"--max-port={relayBase + 199}", "--log-file=stdout", "--simple-log",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var server = new TurnServer(ServerProcess.Start(start, "turnserver"), port, secret);

        try
        {
            // Ready once it listens on TCP as well as UDP.
            await ServerProcess.WaitListeningAsync(server._process, port, TimeSpan.FromSeconds(15), "turnserver");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>TURN REST credentials (username <c>expiry:user</c>, HMAC-SHA1 password) with the given expiry.</summary>
    public (string Username, string Credential) Credentials(string user, DateTimeOffset expiresAt)
    {
        var username = $"{expiresAt.ToUnixTimeSeconds()}:{user}";
#pragma warning disable CA5350 // HMAC-SHA1 is what coturn's use-auth-secret requires.
        var credential = Convert.ToBase64String(HMACSHA1.HashData(System.Text.Encoding.UTF8.GetBytes(Secret), System.Text.Encoding.UTF8.GetBytes(username)));
#pragma warning restore CA5350
        return (username, credential);
    }

    public async ValueTask DisposeAsync()
    {
        await ServerProcess.StopAsync(_process);
    }
}
