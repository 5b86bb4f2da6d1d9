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
        var view = await GrainFactory.GetGrain<IConsultationRoomGrain>(roomId).Open(command);
        state.State.Rooms.Add(roomId);
        state.State.ActiveRoomId = roomId;
        await state.WriteStateAsync();
        return view;
    }

    public Task<IReadOnlyList<Guid>> GetRooms() => Task.FromResult<IReadOnlyList<Guid>>(state.State.Rooms.ToList());
}
