using Telemedicina.Audit.Contracts;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Calls.Infrastructure;

/// <summary>
/// Call records (joins, leaves, end reason, chat, quality reports) of the user's appointments. They
/// are part of the consultation's record, so erasure keeps them, with the patient's name replaced and the doctor's kept.
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
        // Each call's record keeps both names. The patient's is replaced; the doctor's stays, as on the appointments
        // (the record identifies the professional who attended). The report says what was done for this person.
        var asPatient = false;
        var asDoctor = false;
        foreach (var appointmentId in await appointments.AppointmentIdsOfAsync(userId, cancellationToken))
        {
            var rooms = await grains.GetGrain<IAppointmentCallsGrain>(appointmentId).GetRooms();
            if (rooms.Count == 0)
            {
                continue;
            }

            if ((await appointments.FindAsync(appointmentId, cancellationToken))?.DoctorId == userId)
            {
                asDoctor = true;
                continue;
            }

            asPatient = true;
            foreach (var roomId in rooms)
            {
                await grains.GetGrain<IConsultationRoomGrain>(roomId).AnonymizePatient(userId, ErasedName);
            }
        }

        List<RetainedData> retained = [];
        if (asPatient)
        {
            retained.Add(new("registros das suas chamadas (entradas, saídas, duração, chat e qualidade da conexão), sem o seu nome",
                "parte do registro do atendimento (Lei 13.787/2018)", "20 anos"));
        }

        if (asDoctor)
        {
            retained.Add(new("registros das chamadas que você atendeu (entradas, saídas, duração, chat e qualidade da conexão), com o seu nome",
                "parte do registro do atendimento, que identifica o profissional (Lei 13.787/2018; Res. CFM 1.821/2007)", "20 anos"));
        }

        return new ErasureOutcome(Category, asPatient ? ["seu nome no registro das chamadas"] : [], retained);
    }
}
