using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Telemedicina.Calls.Infrastructure;

/// <summary>One ICE server as the browser's RTCPeerConnection takes it.</summary>
public sealed record IceServer(string[] Urls, string? Username = null, string? Credential = null);

public sealed record IceServersResponse(IceServer[] IceServers, int TtlSeconds);

/// <summary>
/// STUN/TURN configuration for browsers, with ephemeral TURN credentials after the TURN REST API
/// convention coturn implements: username <c>expiry:userId</c>, password base64(HMAC-SHA1(secret, username)).
/// </summary>
public sealed class IceServers(IOptions<TurnSettings> settings, TimeProvider clock)
{
    public IceServersResponse For(Guid userId, DateTimeOffset? validUntil)
    {
        var now = clock.GetUtcNow();
        var expires = validUntil is { } until && until > now + TimeSpan.FromMinutes(5)
            ? until
            : now + settings.Value.DefaultCredentialLifetime;
        var servers = new List<IceServer>();
        if (settings.Value.StunUrls is { Length: > 0 } stun)
        {
            servers.Add(new IceServer(stun));
        }

        if (settings.Value.Urls is { Length: > 0 } turn && !string.IsNullOrEmpty(settings.Value.Secret))
        {
            var (username, credential) = Credentials(settings.Value.Secret, userId, expires);
            servers.Add(new IceServer(turn, username, credential));
        }

        return new IceServersResponse(servers.ToArray(), (int)Math.Max(0, (expires - now).TotalSeconds));
    }

    /// <summary>The TURN REST credential pair for a user until <paramref name="expires"/>.</summary>
    public static (string Username, string Credential) Credentials(string secret, Guid userId, DateTimeOffset expires)
    {
        var username = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + ":" + userId.ToString();
#pragma warning disable CA5350 // HMAC-SHA1 is what the TURN REST API and coturn's use-auth-secret require.
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username));
#pragma warning restore CA5350
        return (username, Convert.ToBase64String(mac));
    }
}
