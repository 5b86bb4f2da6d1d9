namespace Telemedicina.Calls;

/// <summary>Configuration section <c>Calls</c>.</summary>
public sealed class CallsSettings
{
    public const string Section = "Calls";

    /// <summary>How long a call rings before it is missed.</summary>
    public TimeSpan RingTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest call once both parties are in; the room then ends it ("maxDuration"). The web client warns before.</summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(90);

    /// <summary>Largest signaling payload (SDP or JSON), in bytes of UTF-8.</summary>
    public int MaxSignalPayload { get; set; } = 64 * 1024;

    /// <summary>Largest ICE candidate payload, in bytes of UTF-8.</summary>
    public int MaxCandidatePayload { get; set; } = 2 * 1024;

    public int MaxChatLength { get; set; } = 2000;

    /// <summary>Signals and chats one connection may send per second, sustained.</summary>
    public int MessagesPerSecond { get; set; } = 100;

    /// <summary>Burst allowance on top of the sustained rate.</summary>
    public int MessageBurst { get; set; } = 400;

    /// <summary>Refused messages after which the connection is dropped as abusive.</summary>
    public int AbuseDisconnectThreshold { get; set; } = 100;
}

/// <summary>Configuration section <c>Turn</c>: STUN/TURN servers and the TURN REST shared secret.</summary>
public sealed class TurnSettings
{
    public const string Section = "Turn";

    /// <summary>TURN URLs, e.g. <c>turn:turn.example.org:3478?transport=udp</c>.</summary>
    public string[] Urls { get; set; } = [];

    /// <summary>The shared secret configured in coturn (<c>static-auth-secret</c>).</summary>
    public string? Secret { get; set; }

    /// <summary>STUN URLs given to browsers in addition to TURN.</summary>
    public string[] StunUrls { get; set; } = [];

    /// <summary>How long after the appointment's end TURN credentials stay valid.</summary>
    public TimeSpan CredentialMargin { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Credential lifetime when no appointment bounds it.</summary>
    public TimeSpan DefaultCredentialLifetime { get; set; } = TimeSpan.FromHours(1);
}
