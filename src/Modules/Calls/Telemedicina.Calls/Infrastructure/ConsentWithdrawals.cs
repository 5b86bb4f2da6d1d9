using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;
using Telemedicina.Grains.Abstractions;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Calls.Infrastructure;

/// <summary>
/// A patient who takes back the telemedicine consent leaves every call of theirs at once, whichever silo holds it: a
/// ringing call is cancelled (the doctor's lobby loses it), an accepted one ends with <see cref="EndReason"/> and, once
/// started, completes the appointment with the time it lasted. The hub's join check then keeps the patient out until
/// the consent is granted again. The doctor's consent is not asked for calls, so a doctor's change does nothing here.
/// </summary>
internal sealed partial class ConsentWithdrawals(
    IGrainFactory grains, IAppointmentBook appointments, IOptions<CallsSettings> settings, ILogger<ConsentWithdrawals> logger)
    : IConsentChangeHandler
{
    /// <summary>The call's <c>endReason</c> when the patient took back the consent during it.</summary>
    public const string EndReason = "consentRevoked";

    public async Task OnConsentChangedAsync(Guid userId, string consentType, bool granted, CancellationToken cancellationToken)
    {
        if (granted || consentType != ConsentTypes.Telemedicine)
        {
            return;
        }

        // A call is accepted within the join window and lasts at most MaxDuration: later than that nothing is live.
        var open = await appointments.OpenAppointmentsOfPatientAsync(userId, settings.Value.MaxDuration, cancellationToken);
        foreach (var appointmentId in open)
        {
            if (await grains.GetGrain<IAppointmentCallsGrain>(appointmentId).GetActiveRoom() is { } roomId)
            {
                await LeaveAsync(grains.GetGrain<IConsultationRoomGrain>(roomId), roomId, userId);
            }
        }
    }

    private async Task LeaveAsync(IConsultationRoomGrain room, Guid roomId, Guid patientId)
    {
        // Two reads at most: the doctor may accept between the read and the cancel, and the call is then ended instead.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var call = await room.GetCall(patientId);
            try
            {
                switch (call.Status)
                {
                    case CallStatus.Ringing:
                        await room.Cancel(patientId);
                        break;
                    case CallStatus.Accepted:
                        await room.EndCall(patientId, EndReason);
                        break;
                    default:
                        return;
                }

                LogLeft(logger, roomId, call.Status);
                return;
            }
            catch (CallRuleException) when (attempt == 0)
            {
                // The call changed meanwhile; read it again.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {RoomId} ({Status}) left: the patient took back the telemedicine consent")]
    private static partial void LogLeft(ILogger logger, Guid roomId, CallStatus status);
}
