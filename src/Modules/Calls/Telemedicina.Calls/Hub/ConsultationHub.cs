using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Calls.Delivery;
using Telemedicina.Calls.Infrastructure;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Identity.Contracts;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Calls.Hub;

/// <summary>
/// What a participant gets from <c>JoinRoom</c> and <c>ResumeRoom</c>. <see cref="Chat"/> is the consultation's chat so
/// far (its latest <see cref="ConsultationHub.ChatOnJoin"/> lines): the <c>Chat</c> event reaches only connections in the
/// room, so a party who joins after the other wrote, reloads the page or comes back after a lost connection reads here
/// what was written meanwhile.
/// </summary>
public sealed record JoinRoomResult(
    Guid RoomId,
    Guid AppointmentId,
    CallStatus Status,
    IReadOnlyList<ParticipantView> Participants,
    IReadOnlyList<IceServer> IceServers,
    SelfView Self,
    IReadOnlyList<ChatLine> Chat);

/// <summary>The caller's side in the room; <see cref="Polite"/> is its perfect-negotiation role.</summary>
public sealed record SelfView(Guid UserId, ParticipantRole Role, bool Polite);

/// <summary>
/// The consultation hub (<c>/hubs/consultation</c>). Thin by design: authenticate, validate,
/// forward to the grains. Recipients are always decided by the room grain, never by the client.
/// </summary>
[Authorize(Policy = Policies.Authenticated)]
public sealed class ConsultationHub(
    IGrainFactory grains,
    SiloDelivery delivery,
    LocalConnections local,
    MembershipRecovery recovery,
    MembershipRefresh refresh,
    IceServers iceServers,
    IAppointmentBook appointments,
    IConsentRegistry consents,
    IAccessRevocations revocations,
    IOptions<TurnSettings> turn,
    IOptions<CallsSettings> settings) : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>Chat lines a join answers with at most (a 90-minute consultation rarely writes more).</summary>
    public const int ChatOnJoin = 200;

    private const string NotFound = "Sala não encontrada.";
    private const string Recovering = "A sala está se recuperando de uma falha no servidor; tente novamente em instantes.";

    public override async Task OnConnectedAsync()
    {
        var userId = Context.User!.GetId();
        var state = new ConnectionState(settings.Value, local.Add(Context.ConnectionId, userId, Context)) { UserId = userId };
        Context.Features.Set(state);
        if (EndedWhileConnecting(userId))
        {
            Context.Abort();
            return;
        }

        await recovery.RegisterPresenceAsync(Me(), Context.ConnectionId);
        await base.OnConnectedAsync();
    }

    // Sessions ended later close the listed connections (EndedSessions). One ended after this connection's token was
    // checked and before the connection was listed above (the handshake, a busy silo) found nothing to close: the
    // connection would have stayed open, receiving calls, until the page's next request. Checked again once listed.
    private bool EndedWhileConnecting(Guid userId) =>
        (Context.GetHttpContext()?.Features.Get<AccessTokenIssued>() is { } issued && revocations.IsRevoked(userId, issued.At))
        || (AccessTokenClaims.FindSession(Context.User) is { } session && revocations.IsSessionRevoked(session));

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        var state = State();
        var me = Me();
        local.Remove(Context.ConnectionId);
        try
        {
            foreach (var joined in state.JoinedRooms)
            {
                await joined.Room.ConnectionClosed(me, Context.ConnectionId);
            }

            await grains.GetGrain<IUserPresenceGrain>(me).Disconnect(Context.ConnectionId);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            // A grain whose silo died: the room's ghost cleanup and presence pruning cover it.
        }

        state.Dispose();
        await base.OnDisconnectedAsync(exception);
    }

    /// <summary>
    /// A round trip to the hub. It is answered only after the connection's registration (presence)
    /// has run, so a client that needs events from the first moment awaits it once after connecting.
    /// </summary>
#pragma warning disable CA1822 // SignalR dispatches instance methods only.
    public string Ping() => "pong";
#pragma warning restore CA1822

    /// <summary>Joins an accepted call; signals sent while the caller had no connection in the room are replayed.</summary>
    public Task<JoinRoomResult> JoinRoom(string roomId) => JoinCoreAsync(roomId, lastSeq: null);

    /// <summary>
    /// Re-joins after a lost connection (an extension of the contract's <c>JoinRoom</c>): the room replays
    /// the signals addressed to the caller numbered above <paramref name="lastSeq"/>, the last one it processed.
    /// </summary>
    public Task<JoinRoomResult> ResumeRoom(string roomId, long lastSeq)
    {
        if (lastSeq < 0)
        {
            Refuse("Número de sequência inválido.");
        }

        return JoinCoreAsync(roomId, lastSeq);
    }

    private async Task<JoinRoomResult> JoinCoreAsync(string roomId, long? lastSeq)
    {
        // Every join reaches a room grain (an activation and a storage read for an unknown id), so joins
        // share the message rate limit and a refused join counts toward the abuse limit.
        Throttle();
        var id = ParseRoom(roomId);
        var me = Me();

        // Calls need the patient's telemedicine consent (CONTRACT.md); one taken back is honoured at the next (re)join.
        if (Context.User?.FindRole() == Roles.Patient && !await consents.HasConsentAsync(me, ConsentTypes.Telemedicine, Context.ConnectionAborted))
        {
            Refuse("Sem o seu consentimento para telemedicina não é possível entrar na consulta. Você pode concedê-lo de novo em Privacidade.");
        }

        RoomSnapshot snapshot;
        var room = grains.GetGrain<IConsultationRoomGrain>(id);
        try
        {
            var connection = delivery.Connection(Context.ConnectionId);
            snapshot = lastSeq is { } after ? await room.Rejoin(me, connection, after) : await room.Join(me, connection);
        }
        catch (CallRuleException e)
        {
            throw Refusal(e.Error == CallError.NotFound ? NotFound : e.Message);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            // The room's silo just died and membership has not declared it yet (here): the client retries.
            refresh.OnUnreachable();
            throw new HubException(Recovering);
        }

        Rooms()[id] = new JoinedRoom(room, snapshot.CounterpartUserId);
        local.Joined(Context.ConnectionId, id);
        var ice = iceServers.For(me, await CredentialsUntilAsync(snapshot));
        var chat = snapshot.Call.Chat;
        return new JoinRoomResult(
            snapshot.Call.RoomId, snapshot.Call.AppointmentId, snapshot.Call.Status, snapshot.Call.Participants, ice.IceServers,
            new SelfView(me, snapshot.Role, snapshot.Polite), chat.Length <= ChatOnJoin ? chat : chat[^ChatOnJoin..]);
    }

    // TURN credentials last until the appointment's join window closes, plus a margin. The room knows when that is
    // (it was opened with it), so a join costs no database read; every resume after a lost connection is a join, and
    // after a silo crash all the rooms it held resume at once. A room opened without it falls back to the appointment.
    private async Task<DateTimeOffset?> CredentialsUntilAsync(RoomSnapshot snapshot)
    {
        var closesAt = snapshot.JoinClosesAt;
        if (closesAt is null && await appointments.FindAsync(snapshot.Call.AppointmentId, Context.ConnectionAborted) is { } appointment)
        {
            closesAt = appointments.GetJoinWindow(appointment).ClosesAt;
        }

        return closesAt + turn.Value.CredentialMargin;
    }

    public async Task LeaveRoom(string roomId)
    {
        var id = ParseRoom(roomId);
        if (Rooms().Remove(id, out var joined))
        {
            local.Left(Context.ConnectionId, id);
            await joined.Room.Leave(Me(), Context.ConnectionId);
        }
    }

    public Task Signal(string roomId, string toUserId, string kind, string payload)
    {
        Throttle();
        var id = ParseRoom(roomId);
        if (!Rooms().TryGetValue(id, out var joined))
        {
            Refuse("Você não está nesta sala.");
        }

        if (!Guid.TryParse(toUserId, out var to) || to != joined.Counterpart)
        {
            Refuse("Destinatário inválido.");
        }

        if (!SignalKinds.IsKnown(kind))
        {
            Refuse("Tipo de sinalização desconhecido.");
        }

        if (payload is null)
        {
            Refuse("Mensagem de sinalização sem conteúdo.");
        }

        var limits = settings.Value;
        if (!Utf8Within(payload, limits.MaxSignalPayload))
        {
            Refuse("Mensagem de sinalização muito grande.");
        }

        if (kind == SignalKinds.Candidate && !Utf8Within(payload, limits.MaxCandidatePayload))
        {
            Refuse("Candidato ICE muito grande.");
        }

        // The room routes it to the silo that holds the target's connections.
        return ForwardAsync(id, joined.Room, Message(id, to, kind, payload));
    }

    public Task Chat(string roomId, string text)
    {
        Throttle();
        var id = ParseRoom(roomId);
        if (!Rooms().TryGetValue(id, out var joined))
        {
            Refuse("Você não está nesta sala.");
        }

        if (string.IsNullOrWhiteSpace(text) || !ChatWithin(text, settings.Value.MaxChatLength))
        {
            Refuse($"A mensagem deve ter de 1 a {settings.Value.MaxChatLength} caracteres.");
        }

        if (HasControlCharacters(text))
        {
            Refuse("A mensagem tem caracteres de controle; envie só texto.");
        }

        return ForwardAsync(id, joined.Room, Message(id, Guid.Empty, RoomMessage.ChatKind, text));
    }

    private async Task ForwardAsync(Guid id, IConsultationRoomGrain room, RoomMessage message)
    {
        try
        {
            var outcome = message.Kind == RoomMessage.ChatKind ? await ChatAsync(room, message) : await room.Relay(message);
            if (outcome == SignalOutcome.UnknownConnection)
            {
                // The room was re-activated after a crash and does not know this connection yet. It gets the signals
                // its lost activation acknowledged to this connection: one may not have reached its recipient.
                await room.Restore(Me(), delivery.Connection(Context.ConnectionId), State().Local.Sent(id));
                outcome = message.Kind == RoomMessage.ChatKind ? await ChatAsync(room, message) : await room.Relay(message);
            }

            if (outcome > 0)
            {
                State().Local.Acknowledged(id, outcome, message);
            }
        }
        catch (CallRuleException)
        {
            // The call ended meanwhile: nothing to relay.
            throw new HubException("A chamada não está mais em andamento.");
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            // The room may have relayed it before the answer was lost: the client's retry keeps its number.
            State().Numbering.Unconfirmed(id, message);
            refresh.OnUnreachable();
            throw new HubException(Recovering);
        }

        static async Task<long> ChatAsync(IConsultationRoomGrain room, RoomMessage message) =>
            await room.Chat(message) ? SignalOutcome.NotRelayed : SignalOutcome.UnknownConnection;
    }

    private Guid Me() => State().UserId ??= Context.User!.GetId();

    // A feature of the connection, set once in OnConnectedAsync: it lives as long as the connection, also for an
    // invocation still running when the connection closes (the silo's registry lets go of it at once), and it costs
    // an entry in the feature collection every connection has, where Context.Items would allocate a concurrent
    // dictionary per connection.
    private ConnectionState State() => Context.Features.Get<ConnectionState>()!;

    private Dictionary<Guid, JoinedRoom> Rooms() => State().Rooms;

    // Numbered per connection only when forwarded; a retry after an ambiguous failure keeps its number.
    private RoomMessage Message(Guid room, Guid to, string kind, string payload) =>
        State().Numbering.Next(room, Me(), Context.ConnectionId, to, kind, payload);

    private Guid ParseRoom(string roomId) =>
        Guid.TryParse(roomId, out var id) && id != Guid.Empty ? id : throw Refusal(NotFound);

    private void Throttle()
    {
        if (!State().TryAcquire())
        {
            Refuse("Mensagens demais; aguarde um instante.");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Refuse(string message) => throw Refusal(message);

    /// <summary>
    /// Whether a chat line has at most <paramref name="maxCharacters"/> characters as a reader counts them (an emoji, or
    /// a letter with its accent, is one), and at most 8 bytes of UTF-8 for each: the line is kept with the call.
    /// </summary>
    internal static bool ChatWithin(string text, int maxCharacters) =>
        (text.Length <= maxCharacters || new System.Globalization.StringInfo(text).LengthInTextElements <= maxCharacters)
        && Utf8Within(text, maxCharacters * 8);

    /// <summary>
    /// Whether a chat line has a control character other than a line break or a tab (a NUL, an escape): it is kept with
    /// the call's record and shown in the other party's page, and no keyboard types one.
    /// </summary>
    internal static bool HasControlCharacters(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="text"/> takes at most <paramref name="maxBytes"/> bytes as UTF-8, the unit of the
    /// contract's limits (counting characters let 64 Ki characters of accented text, up to 192 KiB, through). Counts
    /// only when the length alone does not decide.
    /// </summary>
    internal static bool Utf8Within(string text, int maxBytes) =>
        text.Length <= maxBytes && ((long)text.Length * 3 <= maxBytes || System.Text.Encoding.UTF8.GetByteCount(text) <= maxBytes);

    /// <summary>A refusal for the client; counted, and past the abuse limit the connection is dropped.</summary>
    private HubException Refusal(string message)
    {
        if (State().Refuse() >= settings.Value.AbuseDisconnectThreshold)
        {
            // An abusive client loses its connection; its presence and rooms are cleaned up on disconnect.
            Context.Abort();
        }

        return new HubException(message);
    }


    /// <summary>A room this connection joined: its grain and the other party.</summary>
    private sealed record JoinedRoom(IConsultationRoomGrain Room, Guid Counterpart);

    /// <summary>
    /// What the hub keeps per connection: joined rooms, message numbering, rate limit. Each is made on the connection's
    /// first message that needs it: most of a silo's connections (up to ~19,500) are pages waiting for a call that
    /// never send one, and the three took about 400 bytes of its heap per connection.
    /// </summary>
    private sealed class ConnectionState(CallsSettings limits, LocalConnection local) : IDisposable
    {
        private int _refused;
        private Dictionary<Guid, JoinedRoom>? _rooms;
        private SendNumbering? _numbering;
        private TokenBucketRateLimiter? _limiter;

        /// <summary>This connection in the silo's registry (joined rooms, acknowledged signals).</summary>
        public LocalConnection Local { get; } = local;

        /// <summary>
        /// The rooms joined, with their grain reference: GetGrain resolves the interface type through its
        /// attributes on every call (5 % of a silo's CPU when it ran for every signal, bench profile).
        /// </summary>
        public Dictionary<Guid, JoinedRoom> Rooms => _rooms ??= [];

        /// <summary>The rooms joined, without making the dictionary for a connection that joined none.</summary>
        public IEnumerable<JoinedRoom> JoinedRooms => _rooms?.Values ?? Enumerable.Empty<JoinedRoom>();

        /// <summary>The caller's user id, read from the token's claims once.</summary>
        public Guid? UserId { get; set; }

        // The hub runs one invocation of a connection at a time (MaximumParallelInvocationsPerClient = 1), so these are
        // made by one thread; OnDisconnectedAsync reads them only to let go.
        public SendNumbering Numbering => _numbering ??= new();

        /// <summary>
        /// Replenished on use (<see cref="TryAcquire"/>), in proportion to the time elapsed, not by a timer: an
        /// auto-replenishing limiter starts a timer per connection, and a silo holding 19,500 idle connections
        /// would run 19,500 timer callbacks a second for nothing.
        /// </summary>
        private TokenBucketRateLimiter Limiter => _limiter ??= new(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.MessageBurst,
            TokensPerPeriod = limits.MessagesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = false,
        });

        public bool TryAcquire()
        {
            var limiter = Limiter;
            limiter.TryReplenish();
            using var lease = limiter.AttemptAcquire();
            return lease.IsAcquired;
        }

        public int Refuse() => Interlocked.Increment(ref _refused);

        public void Dispose() => _limiter?.Dispose();
    }
}
