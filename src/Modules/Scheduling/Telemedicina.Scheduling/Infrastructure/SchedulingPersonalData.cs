using Dapper;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.Identity.Contracts;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Scheduling.Infrastructure;

/// <summary>
/// Appointments, their history and notifications. Exported in full for the patient; a doctor's export
/// leaves out what patients wrote (the reason). Erasure cancels future appointments (the other party is
/// notified) and keeps the records themselves: they are medical records. People are named where the person would
/// name them: the doctor of each appointment and the person themselves; a doctor's export names no patient.
/// </summary>
internal sealed class SchedulingPersonalData(
    NpgsqlDataSource db, AppointmentStore appointments, Notifications notifications, IUserDirectory directory, TimeProvider clock)
    : IPersonalDataHolder
{
    public const string ErasureCancelReason = "Cancelada porque o titular pediu a eliminação dos seus dados (LGPD).";

    public string Category => "appointments";

    public int ErasureOrder => 10;

    public async Task<object?> ExportAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<AppointmentRow>(
            """
            SELECT id, doctor_id, patient_id, starts_at, ends_at, status, reason, created_at, started_at, completed_at, duration_seconds,
                   cancelled_at, cancel_reason, no_show_party, rescheduled_from
            FROM scheduling.appointments WHERE patient_id = @userId OR doctor_id = @userId ORDER BY starts_at
            """,
            new { userId })).ToList();
        var ids = rows.Select(r => r.Id).ToArray();
        var history = (await connection.QueryAsync<ExportHistoryRow>(
            "SELECT appointment_id, at, by_user_id, what, from_status, to_status, why FROM scheduling.appointment_history WHERE appointment_id = ANY(@ids) ORDER BY id",
            new { ids })).ToLookup(h => h.AppointmentId);
        var sent = await connection.QueryAsync<ExportNotificationRow>(
            "SELECT appointment_id, kind, created_at, sent_at FROM scheduling.notifications WHERE recipient_id = @userId ORDER BY id",
            new { userId });
        var availability = await connection.QuerySingleOrDefaultAsync<ExportAvailabilityRow>(
            "SELECT time_zone, slot_minutes, buffer_before_minutes, buffer_after_minutes, booking_window_days FROM scheduling.availability WHERE doctor_id = @userId",
            new { userId });
        if (rows.Count == 0 && availability is null)
        {
            return null;
        }

        var names = await directory.GetNamesAsync([.. rows.Select(r => r.DoctorId).Append(userId).Distinct()], cancellationToken);
        string? NameOf(Guid? id) => id is { } known ? names.GetValueOrDefault(known) : null;

        return new
        {
            Appointments = rows.Select(r => new
            {
                r.Id,
                Role = r.PatientId == userId ? "patient" : "doctor",
                r.DoctorId,
                DoctorName = NameOf(r.DoctorId),
                r.PatientId,
                r.StartsAt,
                r.EndsAt,
                r.Status,
                Reason = r.PatientId == userId ? r.Reason : null,
                r.CreatedAt,
                r.StartedAt,
                r.CompletedAt,
                r.DurationSeconds,
                r.CancelledAt,
                r.CancelReason,
                r.NoShowParty,
                r.RescheduledFrom,
                History = history[r.Id].Select(h => new { h.At, h.ByUserId, ByName = NameOf(h.ByUserId), h.What, h.FromStatus, h.ToStatus, h.Why }),
            }),
            NotificationsSent = sent,
            Availability = availability,
        };
    }

    public async Task<ErasureOutcome> EraseAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        bool doctorSchedule;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            var future = await connection.QueryAsync<FutureRow>(
                "SELECT id, doctor_id, patient_id FROM scheduling.appointments WHERE (patient_id = @userId OR doctor_id = @userId) AND status = 'scheduled' AND starts_at > @now",
                new { userId, now });
            foreach (var appointment in future)
            {
                var cancelled = await appointments.TransitionAsync(appointment.Id, AppointmentStatus.Cancelled,
                    new Transition(userId, "cancelled-erasure", ErasureCancelReason, now), cancellationToken);
                if (cancelled is not null)
                {
                    var other = appointment.PatientId == userId ? appointment.DoctorId : appointment.PatientId;
                    await notifications.EnqueueAsync(appointment.Id, NotificationKinds.Cancelled, other, cancellationToken);
                }
            }

            // A doctor who leaves stops offering slots.
            var schedule = await connection.ExecuteAsync("DELETE FROM scheduling.availability WHERE doctor_id = @userId", new { userId })
                + await connection.ExecuteAsync("DELETE FROM scheduling.blocked_dates WHERE doctor_id = @userId", new { userId });
            doctorSchedule = schedule > 0;
        }

        List<string> anonymized = ["consultas futuras (canceladas, a outra parte foi avisada)"];
        if (doctorSchedule)
        {
            anonymized.Add("agenda de disponibilidade e dias bloqueados");
        }

        return new ErasureOutcome(
            Category,
            anonymized,
            [new("consultas realizadas ou canceladas, com motivo e histórico", "prontuário e registros de atendimento (Lei 13.787/2018; Res. CFM 1.821/2007)", "20 anos")]);
    }

    private sealed record FutureRow(Guid Id, Guid DoctorId, Guid PatientId);

    private sealed record ExportHistoryRow(Guid AppointmentId, DateTimeOffset At, Guid? ByUserId, string What, string? FromStatus, string? ToStatus, string? Why);

    private sealed record ExportNotificationRow(Guid AppointmentId, string Kind, DateTimeOffset CreatedAt, DateTimeOffset? SentAt);

    private sealed record ExportAvailabilityRow(string TimeZone, int SlotMinutes, int BufferBeforeMinutes, int BufferAfterMinutes, int BookingWindowDays);
}
