using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Grains;

/// <inheritdoc cref="IConsultationRoomGrain"/>
/// <remarks>
/// Placed where it is first called (Orleans' prefer-local placement): a hub re-joining after a crash, or the
/// placement hint of <c>AppointmentCallsGrain</c> at opening, which names a party's silo. Relayed signals then cross
/// between silos once; the default (resource-optimized) placement ignores where the parties are, and with N silos
/// a room on neither party's silo costs every signal a second hop.
/// </remarks>
[PreferLocalPlacement]
internal sealed partial class ConsultationRoomGrain(
    [PersistentState("room", GrainStorage.Calls)] IPersistentState<RoomState> state,
    IClusterMembershipService membership,
    DeliveryRouter router,
    ReplayBudget replayBudget,
    ILocalSiloDetails localSilo,
    IAppointmentBook appointments,
    TimeProvider clock,
    ILogger<ConsultationRoomGrain> logger) : Grain, IConsultationRoomGrain, IRemindable
{
    // A durable backstop for the in-memory timers: if the silo hosting a live call shuts down or
    // crashes and nobody calls the room, this reminder re-activates it elsewhere, so a ringing call
    // still ends missed and an abandoned call still ends.
    private const string Watchdog = "watchdog";
    private static readonly TimeSpan WatchdogPeriod = TimeSpan.FromMinutes(1);

    /// <summary>An accepted call whose parties have both been gone this long is ended ("abandoned").</summary>
    internal static readonly TimeSpan AbandonAfter = TimeSpan.FromMinutes(2);

    // Connections of each party that joined this room (not persisted: rebuilt by re-joins).
    private readonly Dictionary<Guid, Dictionary<string, UserConnection>> _joined = [];

    // Last sequence number per recipient, so a client can see gaps and order. Starts at the
    // activation's epoch base, so numbers keep growing across a silo crash.
    private readonly Dictionary<Guid, long> _seq = [];

    // The last signals addressed to each party, replayed to a party that comes back.
    private readonly Dictionary<Guid, ReplayBuffer> _recent = [];

    // What the senders' hub connections had relayed: a retry after an ambiguous failure is dropped, not relayed again.
    private readonly RelayedMessages _relayed = new();

    // Highest sequence number sent while the party had a live connection.
    private readonly Dictionary<Guid, long> _deliveredUpTo = [];

    // The last number each party said it had handled when it resumed in this activation (Rejoin).
    private readonly Dictionary<Guid, long> _resumedAfter = [];

    // Signals adopted from a lost activation (Restore) that wait for their recipient to resume: (recipient, number
    // here) -> the lost activation's number. Delivered only to a resume that had not handled that number.
    private readonly Dictionary<(Guid To, long Seq), long> _adopted = [];

    // The highest number of a lost activation adopted per recipient: each is adopted once.
    private readonly Dictionary<Guid, long> _adoptedUpTo = [];

    // Since when a party that had joined has no connection (ghost cleanup after GhostTimeout).
    private readonly Dictionary<Guid, DateTimeOffset> _goneSince = [];

    // Chat lines not yet written to storage (written by the ticker, and on end).
    private bool _chatDirty;
    private IGrainTimer? _ticker;
    private DateTimeOffset _activatedAt;

    private readonly DeliverySequencer _sequencer = new();

    // The cluster as this activation was created, before Orleans read its state (see AwaitHandOverAsync).
    private readonly ClusterMembershipSnapshot _membershipAtCreation = membership.CurrentSnapshot;

    private IGrainTimer? _ringTimer;
    private IGrainTimer? _forget;

    /// <summary>Signals per recipient saved for the next activation on a graceful deactivation, and their payload budget.</summary>
    internal const int KeptReplayDepth = 128;
    internal const int KeptReplayBytes = 512 * 1024;

    /// <summary>A party without any connection for this long is marked as having left.</summary>
    internal static readonly TimeSpan GhostTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Longest a new activation waits for a previous one on a live silo to hand the call over.</summary>
    internal static readonly TimeSpan HandOverWait = TimeSpan.FromSeconds(5);

    /// <summary>Longest a view of the call waits for a party's presence grain (see PresenceOrGuessAsync).</summary>
    internal static readonly TimeSpan PresenceReadTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan TickPeriod = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan UnknownRoomLinger = TimeSpan.FromSeconds(10);

    private RoomState S => state.State;

    private long SeqBase => S.Epoch * 1_000_000_000L;

    private Guid RoomId => this.GetPrimaryKey();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = clock.GetUtcNow();
        if (S.Opened && S.Status == CallStatus.Accepted)
        {
            await AwaitHandOverAsync(cancellationToken);
        }

        // Written with the next state write; a later activation knows whom to wait for.
        S.Host = localSilo.SiloAddress;
        if (S.Opened && S.Status == CallStatus.Ringing)
        {
            // Reactivated (e.g. after a silo crash) while ringing: honour the original deadline.
            await ArmRingTimeoutAsync();
        }
        else if (S.Opened && S.Status == CallStatus.Accepted)
        {
            // Reactivated mid-call (e.g. the previous host silo crashed): a new numbering epoch,
            // and every party that had joined counts as gone until it comes back.
            S.Epoch++;
            // After a graceful move (the previous silo stopped) the room carries on where it was: the
            // buffered signals, what each party had been sent, and the joined connections that live on.
            foreach (var pending in S.Replay)
            {
                Buffer(pending.To, pending.Signal);
            }

            foreach (var (party, seq) in S.DeliveredUpTo)
            {
                _deliveredUpTo[party] = seq;
            }

            _relayed.Import(S.Relayed);

            var snapshot = membership.CurrentSnapshot;
            foreach (var joined in S.Connections.Where(c => snapshot.GetSiloStatus(c.Connection.Silo) == SiloStatus.Active))
            {
                AddConnection(joined.UserId, joined.Connection);
            }

            S.Replay = [];
            S.Connections = [];
            S.DeliveredUpTo = [];
            S.Relayed = [];
            await state.WriteStateAsync(cancellationToken);
            var now = clock.GetUtcNow();
            foreach (var party in new[] { S.Patient!.UserId, S.Doctor!.UserId })
            {
                if (!HasJoined(party) && S.Log.Any(e => e.UserId == party && e.What == "joined"))
                {
                    _goneSince[party] = now;
                }
            }

            EnsureTicker();
        }

        await base.OnActivateAsync(cancellationToken);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Hand the live call over to the next activation: what a party may still need replayed, the joined
        // connections that outlive this activation, and any chat not yet written. This runs when the silo stops
        // gracefully, and also when Orleans deactivates a room whose grain-directory entry was held by a silo that
        // died (DirectoryFailure: about a third of the rooms on the survivors when one of three silos dies): the next
        // call activates the room again, anywhere. After a crash of the room's own silo this never runs; then the
        // senders' retries against the new activation fill its buffer instead. A duplicate activation writes nothing:
        // it must not overwrite the state of the activation that lives on.
        if (reason.ReasonCode == DeactivationReasonCode.DuplicateActivation && _recent.Count > 0)
        {
            // Orleans found another activation of this room (the grain directory is eventually consistent across a
            // silo crash). Whatever this one relayed to a party not connected here is not in the other one's buffer.
            LogDuplicateDropped(logger, RoomId, _recent.Sum(r => r.Value.Count), _joined.Sum(p => p.Value.Count));
        }

        if (reason.ReasonCode != DeactivationReasonCode.DuplicateActivation && S.Opened && S.Status == CallStatus.Accepted)
        {
            // On a graceful stop this silo's connections are being closed; otherwise they live on.
            var stopping = reason.ReasonCode == DeactivationReasonCode.ShuttingDown ? localSilo.SiloAddress : null;
            S.Replay = SignalsToKeep().ToList();
            S.Connections = _joined.SelectMany(p => p.Value.Values.Where(c => !c.Silo.Equals(stopping)).Select(c => new JoinedConnection(p.Key, c))).ToList();
            S.DeliveredUpTo = new Dictionary<Guid, long>(_deliveredUpTo);
            S.Relayed = _relayed.Export();
            S.Host = null;
            try
            {
                await state.WriteStateAsync(cancellationToken);
                _chatDirty = false;
                LogHandedOver(logger, RoomId, reason.ReasonCode, S.Replay.Count, S.Connections.Count);
            }
            catch (Exception e) when (e is Orleans.Storage.InconsistentStateException or OperationCanceledException)
            {
                // Another activation wrote since (or the stop deadline passed): its state wins; the
                // parties' resumes and the senders' retries rebuild the rest.
                LogHandOverNotSaved(logger, RoomId, reason.ReasonCode, e.GetType().Name);
            }
        }

        foreach (var buffer in _recent.Values)
        {
            buffer.Release();
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    // A previous activation may still be handing over: its silo is alive (Orleans deactivated it because the silo
    // holding its directory entry died, and this activation was created meanwhile through the new directory owner).
    // Its hand-over write comes within moments; taking the state before it would lose its replay buffer, and its
    // write would then fail on the changed ETag. Wait for it, re-reading, but not for long and not for a dead silo.
    private async Task AwaitHandOverAsync(CancellationToken cancellationToken)
    {
        // The state was read before this method ran, and on a starved silo that can be long enough for a previous
        // host to hand over and then leave: seen as Dead here, it would not be waited for, and the first write of
        // this stale state failed on the ETag (the activation failed; graceful-stop test, local run). Read it again,
        // unless that host was already gone when this activation was created, before the read: after a crash, every
        // room of the lost silo comes back at once, and that read was one more per room.
        if (S.Host is { } gone && !gone.Equals(localSilo.SiloAddress)
            && membership.CurrentSnapshot.GetSiloStatus(gone) is SiloStatus.Dead or SiloStatus.None
            && _membershipAtCreation.GetSiloStatus(gone) is not SiloStatus.Dead)
        {
            await state.ReadStateAsync(cancellationToken);
        }

        // Wall-clock time, not the injected clock: this waits on another process, not on the call's schedule.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (S.Host is { } previous && !previous.Equals(localSilo.SiloAddress)
            && membership.CurrentSnapshot.GetSiloStatus(previous) is not (SiloStatus.Dead or SiloStatus.None))
        {
            if (waited.Elapsed >= HandOverWait)
            {
                LogHandOverNotSeen(logger, RoomId, previous.ToString(), HandOverWait.TotalSeconds);
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            await state.ReadStateAsync(cancellationToken);
            if (S.Host is null)
            {
                LogHandOverAwaited(logger, RoomId, previous.ToString(), waited.ElapsedMilliseconds);
            }
        }
    }

    // The newest signals per recipient, within a size budget (grain state is one row).
    private IEnumerable<PendingSignal> SignalsToKeep()
    {
        foreach (var (to, recent) in _recent)
        {
            var budget = KeptReplayBytes;
            var kept = new Stack<PendingSignal>();
            foreach (var signal in recent.NewestFirst(RoomId))
            {
                if (kept.Count == KeptReplayDepth)
                {
                    break;
                }

                if (_adopted.ContainsKey((to, signal.Seq)))
                {
                    // Still waiting for its recipient to say whether it had it: not handed over as a plain signal.
                    continue;
                }

                budget -= signal.Payload.Length;
                if (budget < 0)
                {
                    break;
                }

                kept.Push(new PendingSignal(to, signal));
            }

            foreach (var pending in kept)
            {
                yield return pending;
            }
        }
    }

    public async Task<CallView> Open(OpenCall command)
    {
        if (S.Opened)
        {
            throw new CallRuleException(CallError.Conflict, "Esta chamada já foi aberta.");
        }

        _forget?.Dispose();
        _forget = null;
        var now = clock.GetUtcNow();
        S.Opened = true;
        S.AppointmentId = command.AppointmentId;
        S.Patient = command.Patient;
        S.Doctor = command.Doctor;
        S.Status = CallStatus.Ringing;
        S.RequestedAt = now;
        S.RingDeadline = now + command.RingTimeout;
        S.AppointmentEndsAt = command.AppointmentEndsAt;
        S.JoinClosesAt = command.JoinClosesAt;
        S.MaxDuration = command.MaxDuration;
        S.Log.Add(new CallLogEntry(now, command.Patient.UserId, "requested", null));
        await state.WriteStateAsync();
        await ArmRingTimeoutAsync();
        // The watchdog (a row in the reminders table) is registered while the doctor is rung, not before: the ring
        // does not wait on that write (S3 in docs/benchmarks.md), and the request still returns only once both are
        // done. The state written above is what a reactivated room rebuilds from.
        await Task.WhenAll(this.RegisterOrUpdateReminder(Watchdog, command.RingTimeout, WatchdogPeriod), RingAsync());
        LogOpened(logger, RoomId, command.AppointmentId);
        return await ViewAsync();

        async Task RingAsync()
        {
            var doctor = Presence(command.Doctor.UserId);
            await doctor.AddWaiting(new WaitingCall(RoomId, command.AppointmentId, command.Patient, now));
            await doctor.Notify(new CallRequestedEvent(RoomId, command.AppointmentId, command.Patient, now));
        }
    }

    public async Task AnonymizePatient(Guid userId, string replacementName)
    {
        if (S.Patient is { } patient && patient.UserId == userId && patient.FullName != replacementName)
        {
            S.Patient = patient with { FullName = replacementName };
            await state.WriteStateAsync();
        }
    }

    public async Task<CallView> GetCall(Guid userId)
    {
        EnsureParty(userId);
        return await ViewAsync();
    }

    public async Task<CallView> Accept(Guid userId)
    {
        var role = EnsureParty(userId);
        if (role != ParticipantRole.Doctor)
        {
            throw new CallRuleException(CallError.Forbidden, "Somente o médico pode aceitar a chamada.");
        }

        if (S.Status == CallStatus.Accepted)
        {
            return await ViewAsync();
        }

        EnsureStatus(CallStatus.Ringing);
        // The doctor is taken from the accept on, not only once the room page joins: a second accept in that second
        // (another tab, a double tap on the next patient, another device at the same instant) is refused. If the doctor
        // never comes, the call ends as abandoned after AbandonAfter and the presence is cleared with it.
        await ClaimDoctorAsync(userId);
        S.Status = CallStatus.Accepted;
        S.AcceptedAt = clock.GetUtcNow();
        return await TransitionAsync(userId, "accepted", null);
    }

    /// <summary>
    /// A doctor taking part in another accepted call (joined, or lost within the ghost timeout) answers this one only
    /// after ending that one: the incoming-call panel shows on every page, the room's too, and one tap on "Aceitar"
    /// left the patient of the call under way talking to nobody while a second patient waited for a doctor who was busy.
    /// The doctor's presence is claimed for this room in one step, so two accepts at the same instant (two devices, two
    /// silos) cannot both pass a check made before either is recorded. When another room holds the claim, that room
    /// says whether its call still runs: a claim left stale by a lost one-way call is taken over, not obeyed. A presence
    /// or a room that does not answer in time refuses nothing: a presence grain that stalls while the cluster recovers
    /// must not keep a doctor from answering (the flag is then set one-way, as before the claim existed).
    /// </summary>
    private async Task ClaimDoctorAsync(Guid doctorId)
    {
        Guid? replacing = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Guid? holder;
            try
            {
                holder = await Presence(doctorId).ClaimCall(RoomId, replacing).Within(PresenceReadTimeout);
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                await Presence(doctorId).SetInCall(RoomId);
                return;
            }

            if (holder is not { } other)
            {
                return;
            }

            CallView current;
            try
            {
                current = await GrainFactory.GetGrain<IConsultationRoomGrain>(other).GetCall(doctorId).Within(PresenceReadTimeout);
            }
            catch (Exception e) when (e is CallRuleException or OrleansException or TimeoutException)
            {
                replacing = other;
                continue;
            }

            if (current.Status == CallStatus.Accepted)
            {
                throw new CallRuleException(CallError.Conflict, "Você está em outra consulta. Encerre-a antes de aceitar esta chamada.");
            }

            replacing = other;
        }

        // Three rooms in a row took the doctor between a read and a claim: other accepts are under way.
        throw new CallRuleException(CallError.Conflict, "Você está em outra consulta. Encerre-a antes de aceitar esta chamada.");
    }

    public async Task<CallView> Reject(Guid userId)
    {
        var role = EnsureParty(userId);
        if (role != ParticipantRole.Doctor)
        {
            throw new CallRuleException(CallError.Forbidden, "Somente o médico pode recusar a chamada.");
        }

        EnsureStatus(CallStatus.Ringing);
        S.Status = CallStatus.Rejected;
        S.EndedAt = clock.GetUtcNow();
        S.EndReason = "rejected";
        S.EndedBy = userId;
        return await TransitionAsync(userId, "rejected", null);
    }

    public async Task<CallView> Cancel(Guid userId)
    {
        var role = EnsureParty(userId);
        if (role != ParticipantRole.Patient)
        {
            throw new CallRuleException(CallError.Forbidden, "Somente quem chamou pode cancelar a chamada.");
        }

        if (S.Status != CallStatus.Ringing && !(S.Status == CallStatus.Accepted && S.StartedAt is null))
        {
            throw new CallRuleException(CallError.Conflict, "A chamada não pode mais ser cancelada.");
        }

        S.Status = CallStatus.Cancelled;
        S.EndedAt = clock.GetUtcNow();
        S.EndReason = "cancelled";
        S.EndedBy = userId;
        return await TransitionAsync(userId, "cancelled", null);
    }

    public async Task<CallView> EndCall(Guid userId, string reason)
    {
        EnsureParty(userId);
        return await EndCoreAsync(userId, reason);
    }

    // byUserId is Guid.Empty when the room itself ends the call (maximum duration).
    private async Task<CallView> EndCoreAsync(Guid userId, string reason)
    {
        if (S.Status == CallStatus.Ended)
        {
            return await ViewAsync();
        }

        EnsureStatus(CallStatus.Accepted);
        var now = clock.GetUtcNow();
        S.Status = CallStatus.Ended;
        S.EndedAt = now;
        S.EndReason = string.IsNullOrWhiteSpace(reason) ? "hangup" : reason;
        S.EndedBy = userId;
        var view = await TransitionAsync(userId, "ended", S.EndReason);
        await ClearInCallAsync();

        if (S.StartedAt is { } started)
        {
            Guid? by = userId == Guid.Empty ? null : userId;
            await SafeSchedulingAsync(() => appointments.CompleteAsync(S.AppointmentId, by, now, Duration(started, now), S.EndReason, CancellationToken.None));
        }

        return view;
    }

    public Task<RoomSnapshot> Join(Guid userId, UserConnection connection) => JoinCore(userId, connection, lastSeq: null);

    public Task<RoomSnapshot> Rejoin(Guid userId, UserConnection connection, long lastSeq) => JoinCore(userId, connection, lastSeq);

    public async Task Restore(Guid userId, UserConnection connection, ImmutableArray<SentSignal> sent)
    {
        Admit(userId);
        await AttachAsync(userId, connection, lastSeq: null);
        Adopt(userId, sent);
    }

    private async Task<RoomSnapshot> JoinCore(Guid userId, UserConnection connection, long? lastSeq)
    {
        var role = Admit(userId);
        // The view's one presence read (the counterpart's: the joining party is online here) is asked while the party
        // attaches, not after: the two are independent, and the room takes no other call meanwhile. After a crash the
        // presence grains are the busiest in the cluster and every resume re-activates its room, which writes the
        // state and the history: in a row, the read took 222 of about 1,000 ms of a resume (S5 benchmark, p50).
        var counterpart = Counterpart(userId);
        var counterpartPresence = PresenceOrGuessAsync(counterpart);
        await AttachAsync(userId, connection, lastSeq);
        var view = await ViewAsync((counterpart, counterpartPresence));
        return new RoomSnapshot(view, userId, role, counterpart, S.JoinClosesAt);
    }

    // A party of a room whose call was accepted may attach a connection.
    private ParticipantRole Admit(Guid userId)
    {
        var role = EnsureParty(userId);
        if (S.Status != CallStatus.Accepted)
        {
            throw new CallRuleException(CallError.Conflict,
                S.Status == CallStatus.Ringing ? "A sala só abre depois que o médico aceita a chamada." : Describe(S.Status));
        }

        return role;
    }

    private async Task AttachAsync(Guid userId, UserConnection connection, long? lastSeq)
    {
        var firstConnection = AddConnection(userId, connection);
        if (lastSeq is { } handled)
        {
            _resumedAfter[userId] = Math.Max(handled, _resumedAfter.GetValueOrDefault(userId));
        }

        Replay(userId, connection, lastSeq ?? _deliveredUpTo.GetValueOrDefault(userId), lastSeq);
        var now = clock.GetUtcNow();
        if (firstConnection)
        {
            var rejoin = S.Log.Any(e => e.UserId == userId && e.What == "joined");
            S.Log.Add(new CallLogEntry(now, userId, rejoin ? "rejoined" : "joined", null));
            _goneSince.Remove(userId);
            SendTo(Counterpart(userId), new PeerJoinedEvent(RoomId, userId));
            EnsureTicker();

            // The caller's presence, the room's state and the appointment's history are independent, so they are
            // written at once: after a crash every affected room does all three on resume, and in a row they added up.
            await Task.WhenAll(Presence(userId).SetInCall(RoomId), RecordJoinAsync(userId, rejoin, now));
        }
    }

    // The signals a restored connection's silo says the lost activation acknowledged to it (ADR 0005). One that
    // activation had not delivered yet when its silo died is nowhere else. Each gets a number of this activation, in
    // the order sent and before anything this connection sends next (the hub restores before it sends again). Its
    // recipient gets it if it resumes after a lower number of the lost activation; a recipient who had it, or whose
    // connection lived on (it resumes nothing), does not get it twice.
    private void Adopt(Guid from, ImmutableArray<SentSignal> sent)
    {
        foreach (var copy in sent.OrderBy(c => c.Seq))
        {
            var message = copy.Message;
            var to = message.ToUserId;
            if (copy.Seq >= SeqBase || message.FromUserId != from || message.Kind == RoomMessage.ChatKind || !IsParty(to) || to == from
                || copy.Seq <= _adoptedUpTo.GetValueOrDefault(to))
            {
                continue;
            }

            _adoptedUpTo[to] = copy.Seq;
            _relayed.TryAdd(message.Stream, message.Seq);
            if ((_recent.TryGetValue(to, out var recent) && recent.Contains(copy.Seq))
                || _resumedAfter.GetValueOrDefault(to, -1) >= copy.Seq)
            {
                // Handed over by a previous activation that stopped gracefully, or handled by the recipient.
                continue;
            }

            var signal = new SignalEvent(RoomId, from, message.Kind, message.Payload, NextSeq(to));
            Buffer(to, signal);
            if (_resumedAfter.ContainsKey(to))
            {
                if (SendTo(to, signal))
                {
                    _deliveredUpTo[to] = signal.Seq;
                }
            }
            else
            {
                _adopted[(to, signal.Seq)] = copy.Seq;
            }
        }
    }

    private async Task RecordJoinAsync(Guid userId, bool rejoin, DateTimeOffset now)
    {
        Task History() => SafeSchedulingAsync(() => appointments.AppendHistoryAsync(
            S.AppointmentId, userId, rejoin ? "call.rejoined" : "call.joined", null, now, CancellationToken.None));

        if (S.StartedAt is null && _joined.Count(p => p.Value.Count > 0) == 2)
        {
            S.StartedAt = now;
            S.Log.Add(new CallLogEntry(now, null, "started", null));
            await state.WriteStateAsync();
            // The appointment's history lists "started" before this party's "joined", as it happened.
            await SafeSchedulingAsync(() => appointments.MarkInProgressAsync(S.AppointmentId, userId, now, CancellationToken.None));
            await History();
        }
        else
        {
            await Task.WhenAll(state.WriteStateAsync(), History());
        }
    }

    public Task Leave(Guid userId, string connectionId) => RemoveConnectionAsync(userId, connectionId, "left");

    public Task ConnectionClosed(Guid userId, string connectionId) => RemoveConnectionAsync(userId, connectionId, "disconnected");

    // Calls from one hub connection are awaited one after another, so they arrive in order.
    public Task<long> Relay(RoomMessage message) => Task.FromResult(Process(message));

    public Task<bool> Signal(RoomMessage message) => Task.FromResult(Process(message) != SignalOutcome.UnknownConnection);

    public Task<bool> Chat(RoomMessage message) => Task.FromResult(Process(message) != SignalOutcome.UnknownConnection);

    // The number the recipient gets the signal under, or a SignalOutcome (see IConsultationRoomGrain.Relay).
    private long Process(RoomMessage message)
    {
        // Re-check what the hub checked; anything off is dropped without a word, except that a party
        // whose call is over learns it (the hub still lists the room for its connection).
        var from = message.FromUserId;
        if (!IsParty(from))
        {
            return SignalOutcome.NotRelayed;
        }

        if (S.Status != CallStatus.Accepted)
        {
            throw new CallRuleException(CallError.Conflict, "A chamada não está mais em andamento.");
        }

        if (!IsJoined(from, message.FromConnectionId))
        {
            return SignalOutcome.UnknownConnection;
        }

        if (!_relayed.TryAdd(message.Stream, message.Seq))
        {
            // Sent again by the hub after an ambiguous failure, and relayed the first time.
            return SignalOutcome.NotRelayed;
        }

        if (message.Kind == RoomMessage.ChatKind)
        {
            var chat = new ChatEvent(RoomId, from, message.Payload, clock.GetUtcNow());
            S.Chat.Add(new ChatLine(chat.At, from, message.Payload));
            _chatDirty = true;
            SendTo(Counterpart(from), chat);
            SendTo(from, chat, exceptConnectionId: message.FromConnectionId);
            return SignalOutcome.NotRelayed;
        }

        var to = message.ToUserId;
        if (!IsParty(to) || to == from)
        {
            return SignalOutcome.NotRelayed;
        }

        var seq = NextSeq(to);
        var signal = new SignalEvent(RoomId, from, message.Kind, message.Payload, seq);
        Buffer(to, signal);

        if (SendTo(to, signal))
        {
            _deliveredUpTo[to] = seq;
        }

        return seq;
    }

    private long NextSeq(Guid to)
    {
        var seq = (_seq.TryGetValue(to, out var last) ? last : SeqBase) + 1;
        _seq[to] = seq;
        return seq;
    }

    // Returns whether it is the party's first live connection.
    private bool AddConnection(Guid userId, UserConnection connection)
    {
        if (!_joined.TryGetValue(userId, out var connections))
        {
            connections = new Dictionary<string, UserConnection>(StringComparer.Ordinal);
            _joined[userId] = connections;
        }

        var first = connections.Count == 0;
        connections[connection.ConnectionId] = connection;
        return first;
    }

    private void Buffer(Guid to, SignalEvent signal)
    {
        if (!_recent.TryGetValue(to, out var recent))
        {
            recent = new ReplayBuffer(replayBudget);
            _recent[to] = recent;
        }

        recent.Add(signal, (Adopted: _adopted, To: to), static (state, dropped) => state.Adopted.Remove((state.To, dropped)));
    }

    // Sends to one (new) connection the buffered signals for the user numbered above afterSeq. An adopted signal goes
    // only to a resume whose last handled number (resumedAfter) is below its number in the lost activation.
    private void Replay(Guid userId, UserConnection connection, long afterSeq, long? resumedAfter)
    {
        if (!_recent.TryGetValue(userId, out var recent))
        {
            return;
        }

        foreach (var signal in recent.After(RoomId, afterSeq))
        {
            if (_adopted.TryGetValue((userId, signal.Seq), out var original))
            {
                if (resumedAfter is not { } handled || handled >= original)
                {
                    continue;
                }

                _adopted.Remove((userId, signal.Seq));
            }

            router.Deliver(_sequencer, [connection], signal);
            _deliveredUpTo[userId] = Math.Max(_deliveredUpTo.GetValueOrDefault(userId), signal.Seq);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != Watchdog)
        {
            return;
        }

        if (!S.Opened || S.Status is not (CallStatus.Ringing or CallStatus.Accepted))
        {
            await StopWatchdogAsync();
            return;
        }

        if (S.Status == CallStatus.Ringing)
        {
            await ArmRingTimeoutAsync();
        }
        else
        {
            // Being active again is enough: OnActivateAsync armed the ticker for an accepted call.
            EnsureTicker();
        }
    }

    private async Task StopWatchdogAsync()
    {
        try
        {
            if (await this.GetReminder(Watchdog) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or System.Data.Common.DbException)
        {
            // It fires again in a minute and tries again.
            LogWatchdogStopFailed(logger, e, RoomId);
        }
    }

    public async Task ReportQuality(Guid userId, QualityReport report)
    {
        EnsureParty(userId);
        if (S.StartedAt is null)
        {
            throw new CallRuleException(CallError.Conflict, "A chamada ainda não começou.");
        }

        S.Quality[userId] = report;
        await state.WriteStateAsync();
    }

    public async Task<RoomDiagnostics> GetDiagnostics()
    {
        if (!S.Opened)
        {
            ForgetSoon();
            throw new CallRuleException(CallError.NotFound, "Chamada não encontrada.");
        }

        var silos = ImmutableDictionary.CreateBuilder<Guid, ImmutableArray<string>>();
        foreach (var party in new[] { S.Patient!.UserId, S.Doctor!.UserId })
        {
            silos[party] = await ConnectionSilosAsync(party);
        }

        return new RoomDiagnostics(GrainContext.Address.SiloAddress?.ToString() ?? "unknown", silos.ToImmutable());
    }

    public Task<WaitingCall?> GetWaitingCall() =>
        Task.FromResult(S is { Opened: true, Status: CallStatus.Ringing } && clock.GetUtcNow() < S.RingDeadline
            ? new WaitingCall(RoomId, S.AppointmentId, S.Patient!, S.RequestedAt)
            : null);

    // An unknown room (a probe of a made-up id) must not stay in memory, but deactivating at once raced with
    // calls for the same id already queued from other silos: Orleans forwards them to a new activation, which
    // deactivated in turn, and after two forwards the caller got an error (a 503 in a CI fuzz run). So it lingers
    // a few seconds, answering "not found", and then goes.
    private void ForgetSoon() =>
        _forget ??= this.RegisterGrainTimer(
            static grain =>
            {
                grain.DeactivateOnIdle();
                return Task.CompletedTask;
            },
            this,
            new GrainTimerCreationOptions(UnknownRoomLinger, Timeout.InfiniteTimeSpan));

    private void EnsureTicker()
    {
        _ticker ??= this.RegisterGrainTimer(
            static grain => grain.TickAsync(),
            this,
            new GrainTimerCreationOptions(TickPeriod, TickPeriod) { KeepAlive = true });
    }

    // Every few seconds while the call is accepted: drop connections on silos membership declared
    // dead, mark parties gone for GhostTimeout as left, stop at the maximum duration, save chat.
    private async Task TickAsync()
    {
        if (S.Status != CallStatus.Accepted)
        {
            _ticker?.Dispose();
            _ticker = null;
            return;
        }

        var now = clock.GetUtcNow();
        var snapshot = membership.CurrentSnapshot;
        foreach (var (userId, connections) in _joined)
        {
            foreach (var dead in connections.Values.Where(c => snapshot.GetSiloStatus(c.Silo) == SiloStatus.Dead).Select(c => c.ConnectionId).ToList())
            {
                await RemoveConnectionAsync(userId, dead, "disconnected");
            }
        }

        foreach (var (userId, since) in _goneSince.ToList())
        {
            if (now - since >= GhostTimeout)
            {
                _goneSince.Remove(userId);
                S.Log.Add(new CallLogEntry(now, userId, "left", "timeout"));
                _chatDirty = true;
                SendTo(Counterpart(userId), new PeerLeftEvent(RoomId, userId, "timeout"));
                await Presence(userId).LeaveCall(RoomId);
                await SafeSchedulingAsync(() => appointments.AppendHistoryAsync(S.AppointmentId, userId, "call.left", "timeout", now, CancellationToken.None));
            }
        }

        if (_joined.All(p => p.Value.Count == 0) && LastPresence() is { } lastSeen && now - lastSeen >= AbandonAfter)
        {
            await EndCoreAsync(Guid.Empty, "abandoned");
            return;
        }

        if (S.StartedAt is { } started && S.MaxDuration > TimeSpan.Zero && now - started >= S.MaxDuration)
        {
            await EndCoreAsync(Guid.Empty, "maxDuration");
            return;
        }

        if (_chatDirty)
        {
            _chatDirty = false;
            await state.WriteStateAsync();
        }
    }

    private async Task RemoveConnectionAsync(Guid userId, string connectionId, string reason)
    {
        if (!_joined.TryGetValue(userId, out var connections) || !connections.Remove(connectionId) || connections.Count > 0)
        {
            return;
        }

        var now = clock.GetUtcNow();
        S.Log.Add(new CallLogEntry(now, userId, reason, null));
        if (S.Status == CallStatus.Accepted)
        {
            // Once the call is over both parties were told so (CallStatusChanged); a party closing the page then is not news.
            SendTo(Counterpart(userId), new PeerLeftEvent(RoomId, userId, reason));
        }

        if (reason == "left")
        {
            // An explicit leave: no ghost to wait for.
            _goneSince.Remove(userId);
            await Presence(userId).LeaveCall(RoomId);
        }
        else
        {
            _goneSince[userId] = now;
        }

        if (S.Opened)
        {
            await state.WriteStateAsync();
            await SafeSchedulingAsync(() => appointments.AppendHistoryAsync(S.AppointmentId, userId, "call." + reason, null, now, CancellationToken.None));
        }
    }

    private async Task ClearInCallAsync()
    {
        _goneSince.Clear();
        foreach (var party in new[] { S.Patient!.UserId, S.Doctor!.UserId })
        {
            await Presence(party).LeaveCall(RoomId);
        }
    }

    private async Task<CallView> TransitionAsync(Guid userId, string what, string? why)
    {
        // Guid.Empty is the room itself (ring timeout, abandoned, maximum duration): nobody, so no user id on the wire
        // or in the history, rather than an all-zero one.
        Guid? byUserId = userId == Guid.Empty ? null : userId;
        var now = clock.GetUtcNow();
        S.Log.Add(new CallLogEntry(now, byUserId, what, why));
        await state.WriteStateAsync();
        if (S.Status != CallStatus.Ringing)
        {
            _ringTimer?.Dispose();
            _ringTimer = null;
            await Presence(S.Doctor!.UserId).RemoveWaiting(RoomId);
        }

        var changed = new CallStatusChangedEvent(RoomId, S.Status, byUserId, now);
        await NotifyBothAsync(changed);
        if (S.Status is not (CallStatus.Ringing or CallStatus.Accepted))
        {
            await StopWatchdogAsync();
        }

        await SafeSchedulingAsync(() => appointments.AppendHistoryAsync(S.AppointmentId, byUserId, "call." + what, why, now, CancellationToken.None));
        return await ViewAsync();
    }

    private async Task NotifyBothAsync(ClientEvent clientEvent)
    {
        // Through presence, so parties that have not joined the room (e.g. a waiting patient) hear it too.
        await Presence(S.Patient!.UserId).Notify(clientEvent);
        await Presence(S.Doctor!.UserId).Notify(clientEvent);
    }

    private async Task ArmRingTimeoutAsync()
    {
        var remaining = S.RingDeadline - clock.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            await RingTimedOutAsync();
            return;
        }

        _ringTimer?.Dispose();
        _ringTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.RingTimedOutAsync(),
            this,
            new GrainTimerCreationOptions(remaining, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private async Task RingTimedOutAsync()
    {
        if (S.Status != CallStatus.Ringing)
        {
            return;
        }

        S.Status = CallStatus.Missed;
        S.EndedAt = clock.GetUtcNow();
        S.EndReason = "missed";
        await TransitionAsync(Guid.Empty, "missed", "ring timeout");
    }

    // Returns whether at least one live connection was sent the event.
    private bool SendTo(Guid userId, ClientEvent clientEvent, string? exceptConnectionId = null)
    {
        if (!_joined.TryGetValue(userId, out var connections) || connections.Count == 0)
        {
            return false;
        }

        var targets = (exceptConnectionId is null ? connections.Values : connections.Values.Where(c => c.ConnectionId != exceptConnectionId)).ToList();
        var dead = router.Deliver(_sequencer, targets, clientEvent);
        foreach (var id in dead)
        {
            connections.Remove(id);
        }

        return targets.Count > dead.Count;
    }

    // asked: a party's presence read already under way.
    private async Task<CallView> ViewAsync((Guid UserId, Task<PresenceView> Presence)? asked = null)
    {
        // The two presence grains answer in parallel (often on two silos). A party with a connection in this room is
        // online and in this call: its presence grain is not asked. After a crash those grains are the busiest in the
        // cluster (Orleans deactivates a share of them on every silo, and every connection registers again), and each
        // party's resume waited on both (S5 log: the resumes finished when the presence grains did, ~3 s after the
        // lost silo was declared dead).
        var patientPresence = asked is { } p && p.UserId == S.Patient!.UserId ? p.Presence : PresenceOrGuessAsync(S.Patient!.UserId);
        var doctorPresence = asked is { } d && d.UserId == S.Doctor!.UserId ? d.Presence : PresenceOrGuessAsync(S.Doctor!.UserId);
        await Task.WhenAll(patientPresence, doctorPresence);
        var patient = await patientPresence;
        var doctor = await doctorPresence;
        var participants = ImmutableArray.Create(
            new ParticipantView(S.Patient.UserId, ParticipantRole.Patient, HasJoined(S.Patient.UserId), patient.Online, IsBusyElsewhere(patient)),
            new ParticipantView(S.Doctor.UserId, ParticipantRole.Doctor, HasJoined(S.Doctor.UserId), doctor.Online, IsBusyElsewhere(doctor)));
        int? duration = S is { StartedAt: { } started, EndedAt: { } ended } ? Duration(started, ended) : null;
        var events = S.Log.Select(e => new CallEventView(e.At, e.UserId, e.What, e.Why)).ToImmutableArray();
        return new CallView(
            RoomId, S.AppointmentId, S.Status, participants, S.RequestedAt, S.AcceptedAt, S.StartedAt, S.EndedAt, duration, S.EndReason,
            (int)S.MaxDuration.TotalSeconds, events, [.. S.Chat], S.Quality.ToImmutableDictionary());
    }

    private ParticipantRole EnsureParty(Guid userId)
    {
        if (!S.Opened)
        {
            // Never opened: behave exactly like a room that does not exist, and do not linger.
            ForgetSoon();
            throw new CallRuleException(CallError.NotFound, "Chamada não encontrada.");
        }

        if (userId == S.Patient!.UserId)
        {
            return ParticipantRole.Patient;
        }

        if (userId == S.Doctor!.UserId)
        {
            return ParticipantRole.Doctor;
        }

        throw new CallRuleException(CallError.NotFound, "Chamada não encontrada.");
    }

    private void EnsureStatus(CallStatus expected)
    {
        if (S.Status != expected)
        {
            throw new CallRuleException(CallError.Conflict, Describe(S.Status));
        }
    }

    /// <summary>Where the call is, for a refusal the user reads (it showed the English status name).</summary>
    internal static string Describe(CallStatus status) => status switch
    {
        CallStatus.Ringing => "A chamada ainda não foi atendida.",
        CallStatus.Accepted => "A chamada já foi aceita.",
        CallStatus.Rejected => "A chamada foi recusada.",
        CallStatus.Cancelled => "A chamada foi cancelada.",
        CallStatus.Missed => "A chamada não foi atendida a tempo.",
        _ => "A chamada já terminou.",
    };

    // When someone was last in the room: the latest join/leave-type event, the acceptance, or this
    // activation (after a crash the parties get the time to come back).
    private DateTimeOffset? LastPresence() =>
        S.Log.Where(e => e.What is "joined" or "rejoined" or "left" or "disconnected").Select(e => (DateTimeOffset?)e.At)
            .Append(S.AcceptedAt).Append(_activatedAt).Max();

    // Where the user's connections live, from their presence grain (every connection, in a room or not). Bounded like
    // the view's presence reads: past the bound, the silos of the user's connections in this room. The diagnostics
    // are what an operator reads while the cluster recovers, which is when presence grains were seen not answering.
    private async Task<ImmutableArray<string>> ConnectionSilosAsync(Guid userId)
    {
        try
        {
            return [.. await Presence(userId).GetConnectionSilos().Within(PresenceReadTimeout)];
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            LogPresenceUnanswered(logger, RoomId, userId, e.GetType().Name);
            return _joined.TryGetValue(userId, out var connections)
                ? [.. connections.Values.Select(c => c.Silo.ToString()).Distinct(StringComparer.Ordinal)]
                : [];
        }
    }

    // A presence read is bounded: after a graceful stop of another silo, presence grains were seen not answering for
    // 30 s (Orleans' response timeout), and every view (a join, a resume, GetCall) waited that long. Past the bound
    // the view says what the room knows: a party with a connection in the room is online.
    private async Task<PresenceView> PresenceOrGuessAsync(Guid userId)
    {
        if (_joined.TryGetValue(userId, out var connections) && connections.Count > 0)
        {
            return new PresenceView(userId, true, connections.Count, RoomId);
        }

        try
        {
            return await Presence(userId).GetPresence().Within(PresenceReadTimeout);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            LogPresenceUnanswered(logger, RoomId, userId, e.GetType().Name);
            var here = HasJoined(userId);
            return new PresenceView(userId, here, here ? 1 : 0, here ? RoomId : null);
        }
    }

    private bool IsBusyElsewhere(PresenceView presence) => presence.InCallRoomId is { } room && room != RoomId;

    private bool IsParty(Guid userId) => S.Opened && (userId == S.Patient!.UserId || userId == S.Doctor!.UserId);

    private bool HasJoined(Guid userId) => _joined.TryGetValue(userId, out var c) && c.Count > 0;

    private bool IsJoined(Guid userId, string connectionId) => _joined.TryGetValue(userId, out var c) && c.ContainsKey(connectionId);

    private Guid Counterpart(Guid userId) => userId == S.Patient!.UserId ? S.Doctor!.UserId : S.Patient.UserId;

    private IUserPresenceGrain Presence(Guid userId) => GrainFactory.GetGrain<IUserPresenceGrain>(userId);

    private static int Duration(DateTimeOffset from, DateTimeOffset to) => (int)Math.Max(0, Math.Round((to - from).TotalSeconds));

    private async Task SafeSchedulingAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.Data.Common.DbException)
        {
            LogSchedulingFailed(logger, e, RoomId, S.AppointmentId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {RoomId} opened for appointment {AppointmentId}")]
    private static partial void LogOpened(ILogger logger, Guid roomId, Guid appointmentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RoomId}: could not remove the watchdog reminder")]
    private static partial void LogWatchdogStopFailed(ILogger logger, Exception exception, Guid roomId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RoomId}: updating appointment {AppointmentId} failed")]
    private static partial void LogSchedulingFailed(ILogger logger, Exception exception, Guid roomId, Guid appointmentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RoomId}: the presence of {UserId} did not answer ({Error}); the room answers from what it knows")]
    private static partial void LogPresenceUnanswered(ILogger logger, Guid roomId, Guid userId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {RoomId} handed over on deactivation ({Reason}): {Signals} signals to replay, {Connections} connections")]
    private static partial void LogHandedOver(ILogger logger, Guid roomId, DeactivationReasonCode reason, int signals, int connections);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RoomId}: a duplicate activation was deactivated with {Signals} buffered signals and {Connections} joined connections, which the surviving activation does not have")]
    private static partial void LogDuplicateDropped(ILogger logger, Guid roomId, int signals, int connections);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RoomId}: the hand-over state was not saved on deactivation ({Reason}, {Error})")]
    private static partial void LogHandOverNotSaved(ILogger logger, Guid roomId, DeactivationReasonCode reason, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {RoomId}: waited {Milliseconds} ms for the previous activation on {Silo} to hand over")]
    private static partial void LogHandOverAwaited(ILogger logger, Guid roomId, string silo, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RoomId}: the previous activation on {Silo} did not hand over within {Seconds} s; taking the stored state")]
    private static partial void LogHandOverNotSeen(ILogger logger, Guid roomId, string silo, double seconds);
}
