namespace Telemedicina.Grains.Abstractions;

/// <summary>
/// A server → client hub event. The concrete record is serialized as the hub method's single
/// argument (camelCase JSON); <see cref="HubMethod"/> names the client method. No event ever
/// carries a credential or token.
/// </summary>
[GenerateSerializer, Alias("Telemedicina.ClientEvent")]
public abstract record ClientEvent
{
    public abstract string HubMethod();
}

[GenerateSerializer, Immutable, Alias("Telemedicina.CallParty")]
public sealed record CallParty([property: Id(0)] Guid UserId, [property: Id(1)] string FullName);

[GenerateSerializer, Immutable, Alias("Telemedicina.CallRequested")]
public sealed record CallRequestedEvent(
    [property: Id(0)] Guid RoomId,
    [property: Id(1)] Guid AppointmentId,
    [property: Id(2)] CallParty From,
    [property: Id(3)] DateTimeOffset RequestedAt) : ClientEvent
{
    public override string HubMethod() => "CallRequested";
}

[GenerateSerializer, Immutable, Alias("Telemedicina.CallStatusChanged")]
public sealed record CallStatusChangedEvent(
    [property: Id(0)] Guid RoomId,
    [property: Id(1)] CallStatus Status,
    [property: Id(2)] Guid? ByUserId,
    [property: Id(3)] DateTimeOffset At) : ClientEvent
{
    public override string HubMethod() => "CallStatusChanged";
}

[GenerateSerializer, Immutable, Alias("Telemedicina.PeerJoined")]
public sealed record PeerJoinedEvent([property: Id(0)] Guid RoomId, [property: Id(1)] Guid UserId) : ClientEvent
{
    public override string HubMethod() => "PeerJoined";
}

[GenerateSerializer, Immutable, Alias("Telemedicina.PeerLeft")]
public sealed record PeerLeftEvent([property: Id(0)] Guid RoomId, [property: Id(1)] Guid UserId, [property: Id(2)] string Reason) : ClientEvent
{
    public override string HubMethod() => "PeerLeft";
}

[GenerateSerializer, Immutable, Alias("Telemedicina.SignalEvent")]
public sealed record SignalEvent(
    [property: Id(0)] Guid RoomId,
    [property: Id(1)] Guid FromUserId,
    [property: Id(2)] string Kind,
    [property: Id(3)] string Payload,
    [property: Id(4)] long Seq) : ClientEvent
{
    public override string HubMethod() => "Signal";
}

[GenerateSerializer, Immutable, Alias("Telemedicina.ChatEvent")]
public sealed record ChatEvent(
    [property: Id(0)] Guid RoomId,
    [property: Id(1)] Guid FromUserId,
    [property: Id(2)] string Text,
    [property: Id(3)] DateTimeOffset At) : ClientEvent
{
    public override string HubMethod() => "Chat";
}

[GenerateSerializer, Immutable, Alias("Telemedicina.PresenceChanged")]
public sealed record PresenceChangedEvent([property: Id(0)] Guid UserId, [property: Id(1)] bool Online) : ClientEvent
{
    public override string HubMethod() => "PresenceChanged";
}
