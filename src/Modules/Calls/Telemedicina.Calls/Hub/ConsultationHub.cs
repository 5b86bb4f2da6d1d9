using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Calls.Delivery;
using Telemedicina.Calls.Infrastructure;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Identity.Contracts;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Calls.Hub;

/// <summary>What a participant gets from <c>JoinRoom</c>.</summary>
public sealed record JoinRoomResult(
    Guid RoomId,
    Guid AppointmentId,
    CallStatus Status,
    IReadOnlyList<ParticipantView> Participants,
    IReadOnlyList<IceServer> IceServers,
    SelfView Self);

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
    IceServers iceServers,
    IAppointmentBook appointments,
    IOptions<TurnSettings> turn,
    IOptions<CallsSettings> settings) : Microsoft.AspNetCore.SignalR.Hub
{
    private const string RoomsKey = "rooms";
    private const string LimiterKey = "limiter";
    private const string RefusedKey = "refused";
    private const string NotFound = "Sala não encontrada.";

    public override async Task OnConnectedAsync()
    {
        var limits = settings.Value;
        Context.Items[RoomsKey] = new Dictionary<Guid, Guid>();
        Context.Items[LimiterKey] = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.MessageBurst,
            TokensPerPeriod = limits.MessagesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
        Context.Items[RefusedKey] = 0;
        await Presence().Connect(delivery.Connection(Context.ConnectionId));
        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        var me = Me();
        foreach (var roomId in Rooms().Keys)
        {
            await grains.GetGrain<IConsultationRoomGrain>(roomId).ConnectionClosed(me, Context.ConnectionId);
        }

        await Presence().Disconnect(Context.ConnectionId);
        (Context.Items[LimiterKey] as IDisposable)?.Dispose();
        await base.OnDisconnectedAsync(exception);
    }

    public async Task<JoinRoomResult> JoinRoom(string roomId)
    {
        var id = ParseRoom(roomId);
        var me = Me();
        RoomSnapshot snapshot;
        try
        {
            snapshot = await grains.GetGrain<IConsultationRoomGrain>(id).Join(me, delivery.Connection(Context.ConnectionId));
        }
        catch (CallRuleException e)
        {
            throw new HubException(e.Error == CallError.NotFound ? NotFound : e.Message);
        }

        Rooms()[id] = snapshot.CounterpartUserId;
        var appointment = await appointments.FindAsync(snapshot.Call.AppointmentId, Context.ConnectionAborted);
        DateTimeOffset? until = appointment is null ? null : appointments.GetJoinWindow(appointment).ClosesAt + turn.Value.CredentialMargin;
        var ice = iceServers.For(me, until);
        return new JoinRoomResult(
            snapshot.Call.RoomId, snapshot.Call.AppointmentId, snapshot.Call.Status, snapshot.Call.Participants, ice.IceServers,
            new SelfView(me, snapshot.Role, snapshot.Polite));
    }

    public async Task LeaveRoom(string roomId)
    {
        var id = ParseRoom(roomId);
        if (Rooms().Remove(id))
        {
            await grains.GetGrain<IConsultationRoomGrain>(id).Leave(Me(), Context.ConnectionId);
        }
    }

    public Task Signal(string roomId, string toUserId, string kind, string payload)
    {
        Throttle();
        var id = ParseRoom(roomId);
        if (!Rooms().TryGetValue(id, out var counterpart))
        {
            Refuse("Você não está nesta sala.");
        }

        if (!Guid.TryParse(toUserId, out var to) || to != counterpart)
        {
            Refuse("Destinatário inválido.");
        }

        if (!SignalKinds.IsKnown(kind))
        {
            Refuse("Tipo de sinalização desconhecido.");
        }

        var limits = settings.Value;
        if (payload is null || payload.Length > limits.MaxSignalPayload)
        {
            Refuse("Mensagem de sinalização muito grande.");
        }

        if (kind == SignalKinds.Candidate && payload.Length > limits.MaxCandidatePayload)
        {
            Refuse("Candidato ICE muito grande.");
        }

        if (kind == SignalKinds.Offer && !payload.StartsWith("v=", StringComparison.Ordinal))
        {
            Refuse("Oferta SDP inválida.");
        }

        // One-way: the room routes it to the silo that holds the target's connections.
        return grains.GetGrain<IConsultationRoomGrain>(id).Signal(Me(), Context.ConnectionId, to, kind, payload);
    }

    public Task Chat(string roomId, string text)
    {
        Throttle();
        var id = ParseRoom(roomId);
        if (!Rooms().ContainsKey(id))
        {
            Refuse("Você não está nesta sala.");
        }

        if (string.IsNullOrWhiteSpace(text) || text.Length > settings.Value.MaxChatLength)
        {
            Refuse($"A mensagem deve ter de 1 a {settings.Value.MaxChatLength} caracteres.");
        }

        return grains.GetGrain<IConsultationRoomGrain>(id).Chat(Me(), Context.ConnectionId, text);
    }

    private Guid Me() => Context.User!.GetId();

    private IUserPresenceGrain Presence() => grains.GetGrain<IUserPresenceGrain>(Me());

    private Dictionary<Guid, Guid> Rooms() => (Dictionary<Guid, Guid>)Context.Items[RoomsKey]!;

    private static Guid ParseRoom(string roomId) =>
        Guid.TryParse(roomId, out var id) && id != Guid.Empty ? id : throw new HubException(NotFound);

    private void Throttle()
    {
        using var lease = ((TokenBucketRateLimiter)Context.Items[LimiterKey]!).AttemptAcquire();
        if (!lease.IsAcquired)
        {
            Refuse("Mensagens demais; aguarde um instante.");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Refuse(string message)
    {
        var refused = (int)Context.Items[RefusedKey]! + 1;
        Context.Items[RefusedKey] = refused;
        if (refused >= settings.Value.AbuseDisconnectThreshold)
        {
            // An abusive client loses its connection; its presence and rooms are cleaned up on disconnect.
            Context.Abort();
        }

        throw new HubException(message);
    }
}
