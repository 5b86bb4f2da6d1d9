using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Telemedicina.Grains.Abstractions;

/// <summary>
/// One consultation call (key: room id). Holds the call lifecycle (persisted) and, in memory, the
/// connections of each party that joined, and routes signaling straight to the silo that holds
/// the target connection.
/// </summary>
/// <remarks>
/// Only the two parties may see or touch a room; anyone else gets <see cref="CallError.NotFound"/>.
/// The hub validates shape and membership before calling Signal and Chat, and the grain re-checks
/// membership and silently drops anything else. Nothing on that path awaits storage or a remote
/// silo: deliveries to the holding silos are one-way.
/// <para>Version 1 added <see cref="Relay"/> and <see cref="Restore"/> and changed nothing else, so it is backward
/// compatible: during a rolling deployment Orleans moves a room activated on a silo of version 0 to one of version 1
/// when a caller of version 1 reaches it (the room hands its call over on the way, as on any deactivation).</para>
/// </remarks>
[Orleans.CodeGeneration.Version(1)]
[Alias("Telemedicina.IConsultationRoomGrain")]
public interface IConsultationRoomGrain : IGrainWithGuidKey
{
    /// <summary>Opens a new call in <see cref="CallStatus.Ringing"/> and notifies the doctor everywhere.</summary>
    [Alias("Open")]
    Task<CallView> Open(OpenCall command);

    [Alias("GetCall")]
    Task<CallView> GetCall(Guid userId);

    [Alias("Accept")]
    Task<CallView> Accept(Guid userId);

    [Alias("Reject")]
    Task<CallView> Reject(Guid userId);

    [Alias("Cancel")]
    Task<CallView> Cancel(Guid userId);

    [Alias("EndCall")]
    Task<CallView> EndCall(Guid userId, string reason);

    /// <summary>Adds a connection of a party to an accepted call and returns the snapshot for it.</summary>
    [Alias("Join")]
    Task<RoomSnapshot> Join(Guid userId, UserConnection connection);

    /// <summary>
    /// Re-joins after a lost connection: like <see cref="Join"/>, and replays to this connection the
    /// signals addressed to the user with a sequence number above <paramref name="lastSeq"/>.
    /// </summary>
    [Alias("Rejoin")]
    Task<RoomSnapshot> Rejoin(Guid userId, UserConnection connection, long lastSeq);

    /// <summary>
    /// Registers again a connection of a party that was in the room, from the silo that holds it, after the room's
    /// previous activation was lost: like <see cref="Join"/>, without a snapshot (a view asks the presence of a party
    /// not in the room, and after a crash those grains are the busiest in the cluster). <paramref name="sent"/> are
    /// the last signals this connection had acknowledged with their numbers: one the lost activation acknowledged and
    /// never delivered reaches its recipient when the recipient resumes after a lower number (ADR 0005).
    /// </summary>
    [Alias("Restore")]
    Task Restore(Guid userId, UserConnection connection, ImmutableArray<SentSignal> sent);

    [Alias("Leave")]
    Task Leave(Guid userId, string connectionId);

    /// <summary>Stores a party's media quality report with the call record (latest per party).</summary>
    [Alias("ReportQuality")]
    Task ReportQuality(Guid userId, QualityReport report);

    /// <summary>
    /// Erasure (LGPD): replaces the patient's name kept in the call record; the record itself stays
    /// (it is part of the medical record). Does nothing for a user who is not the room's patient.
    /// </summary>
    [Alias("AnonymizePatient")]
    Task AnonymizePatient(Guid userId, string replacementName);

    /// <summary>Which silo hosts the room and holds each party's connections.</summary>
    [Alias("GetDiagnostics")]
    Task<RoomDiagnostics> GetDiagnostics();

    /// <summary>
    /// The doctor's waiting-room entry while the call rings, else null: how a doctor's presence grain
    /// rebuilds its waiting list after it was re-activated (its silo stopped or it was collected).
    /// Interleaved: the room may itself be awaiting that presence grain (opening the call).
    /// </summary>
    [AlwaysInterleave]
    [Alias("GetWaitingCall")]
    Task<WaitingCall?> GetWaitingCall();

    /// <summary>A hub connection that had joined is gone (disconnect without LeaveRoom).</summary>
    [OneWay]
    [Alias("ConnectionClosed")]
    Task ConnectionClosed(Guid userId, string connectionId);

    /// <summary>
    /// Relays a signaling message to the other party's joined connections. Awaited, so the sender
    /// learns when the room is unreachable (its silo crashed) and can retry. Returns the sequence number
    /// the recipient gets it under; <see cref="SignalOutcome.NotRelayed"/> when there was nothing to relay (a retry
    /// already relayed, a recipient who is not a party); <see cref="SignalOutcome.UnknownConnection"/> when the
    /// sending connection is not in this activation of the room (it was re-activated after a crash): the hub
    /// then restores it (<see cref="Restore"/>) and sends again. New in version 1.
    /// </summary>
    [Alias("Relay")]
    Task<long> Relay(RoomMessage message);

    /// <summary>
    /// <see cref="Relay"/> as version 0 had it, for the hubs of the previous release during a rolling deployment
    /// (ADR 0007): false when the sending connection is not in this activation. To be removed in the next release.
    /// </summary>
    [Alias("Signal")]
    Task<bool> Signal(RoomMessage message);

    /// <summary>Relays a chat line to the other party (and the sender's other connections); false as <see cref="Signal"/>.</summary>
    [Alias("Chat")]
    Task<bool> Chat(RoomMessage message);
}

/// <summary>
/// The calls of one appointment (key: appointment id): makes "enter the consultation" idempotent,
/// so a patient who taps twice, or from two devices, rings the doctor once.
/// </summary>
[Alias("Telemedicina.IAppointmentCallsGrain")]
public interface IAppointmentCallsGrain : IGrainWithGuidKey
{
    /// <summary>Returns the live (ringing or accepted) call of the appointment, or opens a new one.</summary>
    [Alias("RequestCall")]
    Task<CallView> RequestCall(OpenCall command);

    /// <summary>Room ids of every call of the appointment, oldest first.</summary>
    [Alias("GetRooms")]
    Task<IReadOnlyList<Guid>> GetRooms();

    /// <summary>
    /// The room of the latest call of the appointment, or null. Interleaved: read by the doctor's
    /// presence grain, which a call being opened here may be awaiting.
    /// </summary>
    [AlwaysInterleave]
    [Alias("GetActiveRoom")]
    Task<Guid?> GetActiveRoom();
}

/// <summary>
/// Presence of one user (key: user id): the SignalR connections the user has on every silo.
/// Events for a user (e.g. an incoming call) are fanned out from here to each holding silo.
/// </summary>
/// <remarks>
/// Connections are not persisted; after a silo crash clients reconnect and re-register.
/// Methods that only read or set memory, without awaiting anything, are interleaved: <c>Connect</c> and
/// <c>Disconnect</c> await the database (who to tell) and must not hold up a room's join, the room's view or
/// an event while they do. The grain still runs one turn at a time, so these see a consistent state.
/// <para>Version 1 added <see cref="ClaimCall"/> and <see cref="LeaveCall"/> and changed nothing else, so it is
/// backward compatible: during a rolling deployment a caller of version 1 that reaches a presence activated on a silo
/// of version 0 has it moved to a silo of version 1 (its connections are registered again on the way, as on any
/// deactivation).</para>
/// </remarks>
[Orleans.CodeGeneration.Version(1)]
[Alias("Telemedicina.IUserPresenceGrain")]
public interface IUserPresenceGrain : IGrainWithGuidKey
{
    [Alias("Connect")]
    Task Connect(UserConnection connection);

    [Alias("Disconnect")]
    Task Disconnect(string connectionId);

    [AlwaysInterleave]
    [Alias("GetPresence")]
    Task<PresenceView> GetPresence();

    /// <summary>Delivers an event to every live connection of the user.</summary>
    [AlwaysInterleave]
    [OneWay]
    [Alias("Notify")]
    Task Notify(ClientEvent clientEvent);

    /// <summary>
    /// The room the user is in a call in, or null. One-way, like the two below: these are what rooms write to a
    /// presence grain, and a room never waits for one. After a silo was killed, presence grains of a survivor were seen
    /// not answering for over a minute (a CI run), and a room that awaited this froze with them: its parties' resumes,
    /// quality reports and relays queued behind it. The flag is soft state, read as "busy elsewhere" only.
    /// </summary>
    [AlwaysInterleave]
    [OneWay]
    [Alias("SetInCall")]
    Task SetInCall(Guid? roomId);

    /// <summary>
    /// Takes the user for the call of <paramref name="roomId"/> when nothing else holds them: answers null when the
    /// user is now in that call (they were free, already in it, or in <paramref name="replacing"/>, a room the caller
    /// found no longer running), else the room that holds them, unchanged. One turn without an await, so two rooms
    /// accepting at the same instant (a doctor's two devices) cannot both be answered null. Interleaved, so a room
    /// never waits behind what the presence itself awaits (its waiting-list rebuild asks rooms, which may be awaiting
    /// this); rooms still await it only within a bound (see <see cref="SetInCall"/>).
    /// </summary>
    [AlwaysInterleave]
    [Alias("ClaimCall")]
    Task<Guid?> ClaimCall(Guid roomId, Guid? replacing);

    /// <summary>
    /// The user is no longer in the call of <paramref name="roomId"/>: clears the flag if that room still holds it,
    /// so a call that ends late never frees a user another call has taken since. One-way (see <see cref="SetInCall"/>).
    /// </summary>
    [AlwaysInterleave]
    [OneWay]
    [Alias("LeaveCall")]
    Task LeaveCall(Guid roomId);

    /// <summary>A patient entered the lobby of one of this doctor's calls. One-way (see <see cref="SetInCall"/>).</summary>
    [OneWay]
    [Alias("AddWaiting")]
    Task AddWaiting(WaitingCall waiting);

    /// <summary>The call left the lobby (answered, rejected, cancelled, timed out). One-way (see <see cref="SetInCall"/>).</summary>
    [OneWay]
    [Alias("RemoveWaiting")]
    Task RemoveWaiting(Guid roomId);

    /// <summary>
    /// Patients waiting for this doctor now (for a doctor who opens the app after they asked). The
    /// list is kept in memory and, on the first read of an activation, rebuilt from the ringing rooms
    /// of the doctor's appointments around now, so it survives the loss of the activation.
    /// </summary>
    [Alias("GetWaiting")]
    Task<IReadOnlyList<WaitingCall>> GetWaiting();

    /// <summary>
    /// The silo of the user's most recent live connection, or null when the user has none: where a call of theirs
    /// is best hosted (see <c>AppointmentCallsGrain</c>).
    /// </summary>
    [AlwaysInterleave]
    [Alias("GetHomeSilo")]
    Task<SiloAddress?> GetHomeSilo();

    /// <summary>Silo addresses of the user's live connections (operators' diagnostics).</summary>
    [AlwaysInterleave]
    [Alias("GetConnectionSilos")]
    Task<IReadOnlyList<string>> GetConnectionSilos();
}
