using Telemedicina.Audit.Contracts;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Calls.Infrastructure;

/// <summary>
/// Call records (joins, leaves, end reason, chat, quality reports) of the user's appointments. They
/// are part of the consultation's record, so erasure keeps them, with the patient's name replaced.
/// </summary>
internal sealed class CallsPersonalData(IGrainFactory grains, IAppointmentBook appointments) : IPersonalDataHolder
{
    // The same placeholder Identity uses for an erased patient's name.
    private const string ErasedName = "Titular anonimizado";

    public string Category => "calls";

    public int ErasureOrder => 20;

    public async Task<object?> ExportAsync(Guid userId, CancellationToken cancellationToken)
    {
        var calls = new List<CallView>();
        foreach (var appointmentId in await appointments.AppointmentIdsOfAsync(userId, cancellationToken))
        {
            foreach (var roomId in await grains.GetGrain<IAppointmentCallsGrain>(appointmentId).GetRooms())
            {
                calls.Add(await grains.GetGrain<IConsultationRoomGrain>(roomId).GetCall(userId));
            }
        }

        return calls.Count == 0 ? null : calls;
    }

    public async Task<ErasureOutcome> EraseAsync(Guid userId, CancellationToken cancellationToken)
    {
        foreach (var appointmentId in await appointments.AppointmentIdsOfAsync(userId, cancellationToken))
        {
            foreach (var roomId in await grains.GetGrain<IAppointmentCallsGrain>(appointmentId).GetRooms())
            {
                await grains.GetGrain<IConsultationRoomGrain>(roomId).AnonymizePatient(userId, ErasedName);
            }
        }

        return new ErasureOutcome(
            Category,
            ["nome do paciente no registro das chamadas"],
            [new("registros das chamadas (entradas, saídas, duração, chat e qualidade da conexão)", "parte do registro do atendimento (Lei 13.787/2018)", "20 anos")]);
    }
}
