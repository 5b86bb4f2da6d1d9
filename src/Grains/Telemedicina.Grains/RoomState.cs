using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <summary>Persisted state of a consultation room (no connection ids: those are rebuilt on re-join).</summary>
[GenerateSerializer, Alias("Telemedicina.RoomState")]
internal sealed class RoomState
{
    [Id(0)] public bool Opened { get; set; }

    [Id(1)] public Guid AppointmentId { get; set; }

    [Id(2)] public CallParty? Patient { get; set; }

    [Id(3)] public CallParty? Doctor { get; set; }

    [Id(4)] public CallStatus Status { get; set; }

    [Id(5)] public DateTimeOffset RequestedAt { get; set; }

    [Id(6)] public DateTimeOffset RingDeadline { get; set; }

    [Id(7)] public DateTimeOffset? AcceptedAt { get; set; }

    [Id(8)] public DateTimeOffset? StartedAt { get; set; }

    [Id(9)] public DateTimeOffset? EndedAt { get; set; }

    [Id(10)] public string? EndReason { get; set; }

    [Id(11)] public Guid? EndedBy { get; set; }

    [Id(12)] public DateTimeOffset AppointmentEndsAt { get; set; }

    [Id(13)] public List<CallLogEntry> Log { get; set; } = [];

    /// <summary>Activations of the accepted call so far: signal sequence numbers of activation n start at n × 10⁹, so they only ever grow.</summary>
    [Id(14)] public int Epoch { get; set; }

    /// <summary>Longest a call may last once both parties are in; then it is ended ("maxDuration").</summary>
    [Id(15)] public TimeSpan MaxDuration { get; set; }

    /// <summary>The in-call chat, kept with the call record.</summary>
    [Id(16)] public List<ChatLine> Chat { get; set; } = [];

    /// <summary>Latest media quality report of each party.</summary>
    [Id(17)] public Dictionary<Guid, QualityReport> Quality { get; set; } = [];

    /// <summary>
    /// The newest signals of each party, saved when the room is deactivated (its silo stops, or the silo that held
    /// its directory entry died) so the next activation can replay them to a party that resumes; cleared on activation.
    /// </summary>
    [Id(18)] public List<PendingSignal> Replay { get; set; } = [];

    /// <summary>Connections that had joined and outlive the activation, saved on deactivation for the next activation.</summary>
    [Id(19)] public List<JoinedConnection> Connections { get; set; } = [];

    /// <summary>Highest sequence number sent to a live connection of each party, saved with <see cref="Replay"/>.</summary>
    [Id(20)] public Dictionary<Guid, long> DeliveredUpTo { get; set; } = [];

    /// <summary>
    /// The silo of the activation that last wrote this state, or null once it handed over on deactivation: a new
    /// activation waits for a live previous host to finish handing over before it takes the state.
    /// </summary>
    [Id(21)] public SiloAddress? Host { get; set; }

    /// <summary>The numbers of the messages relayed lately per sender stream, saved with <see cref="Replay"/>: a retry
    /// that reaches the next activation is not relayed twice.</summary>
    [Id(22)] public List<RelayedWindow> Relayed { get; set; } = [];

    /// <summary>When the appointment's join window closes (<see cref="OpenCall.JoinClosesAt"/>); null in a room opened without it.</summary>
    [Id(23)] public DateTimeOffset? JoinClosesAt { get; set; }
}

/// <summary>A party's connection that had joined the room.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.JoinedConnection")]
internal sealed record JoinedConnection([property: Id(0)] Guid UserId, [property: Id(1)] UserConnection Connection);

/// <summary>A signal kept for replay, with its recipient.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.PendingSignal")]
internal sealed record PendingSignal([property: Id(0)] Guid To, [property: Id(1)] SignalEvent Signal);

/// <summary>One recorded event of a call: who, what, when, and why.</summary>
[GenerateSerializer, Immutable, Alias("Telemedicina.CallLogEntry")]
internal sealed record CallLogEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] Guid? UserId,
    [property: Id(2)] string What,
    [property: Id(3)] string? Why);

/// <summary>Persisted calls of one appointment.</summary>
[GenerateSerializer, Alias("Telemedicina.AppointmentCallsState")]
internal sealed class AppointmentCallsState
{
    [Id(0)] public List<Guid> Rooms { get; set; } = [];

    [Id(1)] public Guid? ActiveRoomId { get; set; }
}
