using System.Text.Json;

namespace Telemedicina.Testing;

// The public contract as an outside client sees it (CONTRACT.md), independent of the product's types.
#pragma warning disable CA1819 // Arrays mirror the JSON arrays of the contract.

public sealed record LoginUser(Guid Id, string Role, string FullName);

public sealed record LoginResult(string? AccessToken, DateTimeOffset? ExpiresAt, string? RefreshToken, LoginUser? User, bool TwoFactorRequired, string? ChallengeToken);

public sealed record Registered(Guid UserId, string Status);

public sealed record Slot(DateTimeOffset StartsAt, DateTimeOffset EndsAt);

public sealed record Booked(Guid AppointmentId, string Status, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

/// <summary>GET /api/v1/admin/calls/{roomId}/diagnostics: the room's silo and each party's connection silos.</summary>
public sealed record RoomDiagnostics(string HostSilo, Dictionary<Guid, string[]> ConnectionSilos);

public sealed record Appointment(
    Guid AppointmentId, Guid DoctorId, string? DoctorName, Guid PatientId, string? PatientName,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Status, string? Reason, int? DurationSeconds);

public sealed record HistoryEntry(DateTimeOffset At, Guid? ByUserId, string What, string? FromStatus, string? ToStatus, string? Why);

public sealed record Participant(Guid UserId, string Role, bool Joined, bool Online, bool Busy = false);

public sealed record CallEvent(DateTimeOffset At, Guid? UserId, string What, string? Why);

public sealed record ChatLine(DateTimeOffset At, Guid FromUserId, string Text);

public sealed record QualityReport(DateTimeOffset At, double? RoundTripTimeMs, double? JitterMs, double? PacketLossPercent, bool Relay, int IceRestarts, int SecondsWithoutMedia);

public sealed record CallState(
    Guid RoomId, Guid AppointmentId, string Status, Participant[] Participants,
    DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, int? DurationSeconds, string? EndReason,
    int MaxDurationSeconds = 0, CallEvent[]? Events = null, ChatLine[]? Chat = null, Dictionary<Guid, QualityReport>? Quality = null);

public sealed record WaitingCall(Guid RoomId, Guid AppointmentId, CallParty From, DateTimeOffset RequestedAt);

public sealed record PresenceChanged(Guid UserId, bool Online);

public sealed record IceServer(string[] Urls, string? Username, string? Credential);

public sealed record IceServersResult(IceServer[] IceServers, int TtlSeconds);

public sealed record Self(Guid UserId, string Role, bool Polite);

public sealed record JoinRoomResult(Guid RoomId, Guid AppointmentId, string Status, Participant[] Participants, IceServer[] IceServers, Self Self, ChatLine[]? Chat = null);

public sealed record CallParty(Guid UserId, string FullName);

public sealed record CallRequested(Guid RoomId, Guid AppointmentId, CallParty From, DateTimeOffset RequestedAt);

public sealed record CallStatusChanged(Guid RoomId, string Status, Guid? ByUserId, DateTimeOffset At);

public sealed record PeerJoined(Guid RoomId, Guid UserId);

public sealed record PeerLeft(Guid RoomId, Guid UserId, string Reason);

public sealed record SignalMessage(Guid RoomId, Guid FromUserId, string Kind, string Payload, long Seq);

public sealed record ChatMessage(Guid RoomId, Guid FromUserId, string Text, DateTimeOffset At);

public sealed record Problem(string? Type, string? Title, int? Status, string? Detail, Dictionary<string, string[]>? Errors);

/// <summary>A test user: its account and its current tokens.</summary>
public sealed record TestUser(Guid Id, string Email, string Password, string Role, string FullName)
{
    public string AccessToken { get; set; } = "";

    public string RefreshToken { get; set; } = "";
}

public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
#pragma warning restore CA1819
