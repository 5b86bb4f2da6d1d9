using System.Collections.Immutable;

namespace Telemedicina.Grains.Abstractions;

/// <summary>One party of a call as the API shows it.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.ParticipantView")]
public sealed record ParticipantView(
    [property: Id(0)] Guid UserId,
    [property: Id(1)] ParticipantRole Role,
    [property: Id(2)] bool Joined,
    [property: Id(3)] bool Online,
    [property: Id(4)] bool Busy = false);

/// <summary>One recorded event of a call (join, leave, reconnect, end...): who, what, when, why.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.CallEventView")]
public sealed record CallEventView(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] Guid? UserId,
    [property: Id(2)] string What,
    [property: Id(3)] string? Why);

/// <summary>A chat line kept with the call record.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.ChatLine")]
public sealed record ChatLine(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] Guid FromUserId,
    [property: Id(2)] string Text);

/// <summary>Media quality as one browser measured it (getStats), kept with the call record.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.QualityReport")]
public sealed record QualityReport(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] double? RoundTripTimeMs,
    [property: Id(2)] double? JitterMs,
    [property: Id(3)] double? PacketLossPercent,
    [property: Id(4)] bool Relay,
    [property: Id(5)] int IceRestarts,
    [property: Id(6)] int SecondsWithoutMedia);

/// <summary>The call state exposed by <c>GET /api/v1/calls/{roomId}</c>.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.CallView")]
public sealed record CallView(
    [property: Id(0)] Guid RoomId,
    [property: Id(1)] Guid AppointmentId,
    [property: Id(2)] CallStatus Status,
    [property: Id(3)] ImmutableArray<ParticipantView> Participants,
    [property: Id(4)] DateTimeOffset RequestedAt,
    [property: Id(5)] DateTimeOffset? AcceptedAt,
    [property: Id(6)] DateTimeOffset? StartedAt,
    [property: Id(7)] DateTimeOffset? EndedAt,
    [property: Id(8)] int? DurationSeconds,
    [property: Id(9)] string? EndReason,
    [property: Id(10)] int MaxDurationSeconds,
    [property: Id(11)] ImmutableArray<CallEventView> Events,
    [property: Id(12)] ImmutableArray<ChatLine> Chat,
    [property: Id(13)] ImmutableDictionary<Guid, QualityReport> Quality);

/// <summary>
/// What a participant gets when joining: the call, who they are in the negotiation, and when the appointment's join
/// window closes (null for a room opened without it: the hub then reads the appointment).
/// </summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.RoomSnapshot")]
public sealed record RoomSnapshot(
    [property: Id(0)] CallView Call,
    [property: Id(1)] Guid UserId,
    [property: Id(2)] ParticipantRole Role,
    [property: Id(3)] Guid CounterpartUserId,
    [property: Id(4)] DateTimeOffset? JoinClosesAt = null)
{
    /// <summary>Perfect negotiation: the patient is polite (yields on glare), the doctor is not.</summary>
    public bool Polite => Role == ParticipantRole.Patient;
}

/// <summary>
/// Everything a room needs to open a call; validated by the caller against Scheduling. <see cref="JoinClosesAt"/>,
/// the end of the appointment's join window, is handed to every join, so a join (and every resume after a lost
/// connection) issues its TURN credentials without reading the appointment again.
/// </summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.OpenCall")]
public sealed record OpenCall(
    [property: Id(0)] Guid AppointmentId,
    [property: Id(1)] CallParty Patient,
    [property: Id(2)] CallParty Doctor,
    [property: Id(3)] DateTimeOffset AppointmentEndsAt,
    [property: Id(4)] TimeSpan RingTimeout,
    [property: Id(5)] TimeSpan MaxDuration,
    [property: Id(6)] DateTimeOffset? JoinClosesAt = null);

/// <summary>Presence of one user across every silo.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.PresenceView")]
public sealed record PresenceView(
    [property: Id(0)] Guid UserId,
    [property: Id(1)] bool Online,
    [property: Id(2)] int Connections,
    [property: Id(3)] Guid? InCallRoomId);

/// <summary>A patient waiting in the lobby of one of the doctor's calls.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.WaitingCall")]
public sealed record WaitingCall(
    [property: Id(0)] Guid RoomId,
    [property: Id(1)] Guid AppointmentId,
    [property: Id(2)] CallParty From,
    [property: Id(3)] DateTimeOffset RequestedAt);

/// <summary>Where a room and its parties' connections live (operators' diagnostics).</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.RoomDiagnostics")]
public sealed record RoomDiagnostics(
    [property: Id(0)] string HostSilo,
    [property: Id(1)] ImmutableDictionary<Guid, ImmutableArray<string>> ConnectionSilos);

/// <summary>
/// A message from one hub connection into a room. <see cref="Stream"/> (one per connection) and
/// <see cref="Seq"/> (1, 2, 3, ... per connection) let the room process messages in the order the
/// client sent them, although one-way calls between silos may overtake each other.
/// </summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.RoomMessage")]
public sealed record RoomMessage(
    [property: Id(0)] Guid FromUserId,
    [property: Id(1)] string FromConnectionId,
    [property: Id(2)] Guid Stream,
    [property: Id(3)] long Seq,
    [property: Id(4)] Guid ToUserId,
    [property: Id(5)] string Kind,
    [property: Id(6)] string Payload)
{
    public const string ChatKind = "chat";
}

/// <summary>What <see cref="IConsultationRoomGrain.Relay"/> answers besides a sequence number.</summary>
public static class SignalOutcome
{
    /// <summary>Accepted with nothing to relay: a retry the room had relayed, a recipient who is not a party.</summary>
    public const long NotRelayed = 0;

    /// <summary>The sending connection is not in this activation of the room.</summary>
    public const long UnknownConnection = -1;
}

/// <summary>A signal a room acknowledged to its sender, with the sequence number it gave it for the recipient.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.SentSignal")]
public sealed record SentSignal([property: Id(0)] long Seq, [property: Id(1)] RoomMessage Message);
