using Orleans.Runtime.Placement;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Grains;

/// <inheritdoc cref="IAppointmentCallsGrain"/>
internal sealed class AppointmentCallsGrain(
    [PersistentState("appointmentCalls", GrainStorage.Calls)] IPersistentState<AppointmentCallsState> state)
    : Grain, IAppointmentCallsGrain
{
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
