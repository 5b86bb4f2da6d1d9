using Orleans.Runtime.Placement;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <inheritdoc cref="IAppointmentCallsGrain"/>
internal sealed class AppointmentCallsGrain(
    [PersistentState("appointmentCalls", GrainStorage.Calls)] IPersistentState<AppointmentCallsState> state,
    TimeProvider clock)
    : Grain, IAppointmentCallsGrain
{
    /// <summary>New calls one appointment may open within <see cref="CallWindow"/>.</summary>
    internal const int CallsPerWindow = 5;

    internal static readonly TimeSpan CallWindow = TimeSpan.FromMinutes(10);

    // When this appointment's recent calls were opened. In memory: the limit is against a patient ringing the doctor
    // over and over (call, cancel, call), which the per-silo request limiter let through once per silo; a reactivation
    // forgetting it costs nothing.
    private readonly Queue<DateTimeOffset> _opened = new();

    public async Task<CallView> RequestCall(OpenCall command)
    {
        if (state.State.ActiveRoomId is { } active)
        {
            var current = await GrainFactory.GetGrain<IConsultationRoomGrain>(active).GetCall(command.Patient.UserId);
            if (current.Status is CallStatus.Ringing or CallStatus.Accepted)
            {
                return current;
            }
        }

        var now = clock.GetUtcNow();
        while (_opened.TryPeek(out var oldest) && now - oldest >= CallWindow)
        {
            _opened.Dequeue();
        }

        if (_opened.Count >= CallsPerWindow)
        {
            var wait = Math.Max(1, (int)Math.Ceiling((_opened.Peek() + CallWindow - now).TotalMinutes));
            throw new CallRuleException(
                CallError.TooMany, $"Você chamou muitas vezes em pouco tempo. Aguarde {wait} min e chame de novo.");
        }

        _opened.Enqueue(now);
        var roomId = Guid.NewGuid();
        var view = await OpenOnAPartysSiloAsync(GrainFactory.GetGrain<IConsultationRoomGrain>(roomId), command);
        state.State.Rooms.Add(roomId);
        state.State.ActiveRoomId = roomId;
        await state.WriteStateAsync();
        return view;
    }

    /// <summary>
    /// Opens the room on the silo of the doctor's live connection (else the patient's), so that each signal crosses
    /// between silos once — from the other party's silo — instead of twice through a third silo: the patient's HTTP
    /// request lands on any silo, and with N silos the room would otherwise sit with neither party N−2 times in N.
    /// The hint is Orleans' own placement hint, honoured by the room's prefer-local placement when that silo is active.
    /// </summary>
    private async Task<CallView> OpenOnAPartysSiloAsync(IConsultationRoomGrain room, OpenCall command)
    {
        var home = await HomeSiloAsync(command.Doctor.UserId) ?? await HomeSiloAsync(command.Patient.UserId);
        if (home is null)
        {
            return await room.Open(command);
        }

        RequestContext.Set(IPlacementDirector.PlacementHintKey, home);
        try
        {
            return await room.Open(command);
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    private async Task<SiloAddress?> HomeSiloAsync(Guid userId)
    {
        // A hint only, so bounded like the room's presence reads: a presence grain that does not answer (its silo just
        // died, or it stalls while the cluster recovers) must not hold the patient's request for 30 s.
        try
        {
            return await GrainFactory.GetGrain<IUserPresenceGrain>(userId).GetHomeSilo().Within(ConsultationRoomGrain.PresenceReadTimeout);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            // Any silo will do for this room.
            return null;
        }
    }

    public Task<IReadOnlyList<Guid>> GetRooms() => Task.FromResult<IReadOnlyList<Guid>>(state.State.Rooms.ToList());

    public Task<Guid?> GetActiveRoom() => Task.FromResult(state.State.ActiveRoomId);
}
