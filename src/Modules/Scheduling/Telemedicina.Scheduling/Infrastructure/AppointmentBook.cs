using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Scheduling.Infrastructure;

/// <inheritdoc cref="IAppointmentBook"/>
internal sealed class AppointmentBook(AppointmentStore store, Npgsql.NpgsqlDataSource db, IAuditTrail audit, IOptions<SchedulingSettings> settings, TimeProvider clock) : IAppointmentBook
{
    public async Task<IReadOnlyList<Guid>> CounterpartsAroundNowAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var ids = await Dapper.SqlMapper.QueryAsync<Guid>(connection,
            """
            SELECT DISTINCT CASE WHEN patient_id = @userId THEN doctor_id ELSE patient_id END
            FROM scheduling.appointments
            WHERE (patient_id = @userId OR doctor_id = @userId) AND status IN ('scheduled', 'inProgress')
              AND starts_at BETWEEN @from AND @to
            """,
            new { userId, from = now.AddHours(-12), to = now.AddHours(24) });
        return ids.ToList();
    }

    public Task<IReadOnlyList<Guid>> OpenAppointmentsOfDoctorAsync(Guid doctorId, TimeSpan grace, CancellationToken cancellationToken) =>
        OpenAppointmentsAsync("doctor_id", doctorId, grace, cancellationToken);

    public Task<IReadOnlyList<Guid>> OpenAppointmentsOfPatientAsync(Guid patientId, TimeSpan grace, CancellationToken cancellationToken) =>
        OpenAppointmentsAsync("patient_id", patientId, grace, cancellationToken);

    // party is one of two column names above, never input; both have a (party, starts_at) index.
    private async Task<IReadOnlyList<Guid>> OpenAppointmentsAsync(string party, Guid userId, TimeSpan grace, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var ids = await Dapper.SqlMapper.QueryAsync<Guid>(connection,
            $"""
            SELECT id FROM scheduling.appointments
            WHERE {party} = @userId AND status IN ('scheduled', 'inProgress')
              AND starts_at BETWEEN @earliest AND @opensBy AND ends_at >= @closedAfter
            ORDER BY starts_at
            """,
            new
            {
                userId,
                opensBy = now + settings.Value.JoinWindowBefore,
                closedAfter = now - settings.Value.JoinWindowAfter - grace,
                // An appointment is a slot of a working day: bounds the (party, starts_at) index scan.
                earliest = now - settings.Value.JoinWindowAfter - grace - TimeSpan.FromDays(1),
            });
        return ids.ToList();
    }

    public async Task<IReadOnlyList<Guid>> AppointmentIdsOfAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var ids = await Dapper.SqlMapper.QueryAsync<Guid>(connection,
            "SELECT id FROM scheduling.appointments WHERE patient_id = @userId OR doctor_id = @userId ORDER BY starts_at", new { userId });
        return ids.ToList();
    }

    public async Task<AppointmentInfo?> FindAsync(Guid appointmentId, CancellationToken cancellationToken)
    {
        var row = await store.FindAsync(appointmentId, cancellationToken);
        return row is null ? null : new AppointmentInfo(row.Id, row.DoctorId, row.PatientId, row.StartsAt, row.EndsAt, row.StatusValue);
    }

    public JoinWindow GetJoinWindow(AppointmentInfo appointment) =>
        new(appointment.StartsAt - settings.Value.JoinWindowBefore, appointment.EndsAt + settings.Value.JoinWindowAfter);

    public async Task MarkInProgressAsync(Guid appointmentId, Guid? byUserId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (await store.TransitionAsync(appointmentId, AppointmentStatus.InProgress, new Transition(byUserId, "started", null, at), cancellationToken) is not null)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Update, "Appointment", appointmentId.ToString(), byUserId, null, null,
                Details: new Dictionary<string, string> { ["status"] = "inProgress" }), cancellationToken);
        }
    }

    public async Task CompleteAsync(Guid appointmentId, Guid? byUserId, DateTimeOffset at, int durationSeconds, string? reason, CancellationToken cancellationToken)
    {
        if (await store.TransitionAsync(appointmentId, AppointmentStatus.Completed, new Transition(byUserId, "completed", reason, at, durationSeconds), cancellationToken) is not null)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Update, "Appointment", appointmentId.ToString(), byUserId, null, null,
                Details: new Dictionary<string, string> { ["status"] = "completed" }), cancellationToken);
        }
    }

    public Task AppendHistoryAsync(Guid appointmentId, Guid? byUserId, string what, string? why, DateTimeOffset at, CancellationToken cancellationToken) =>
        store.AppendHistoryAsync(appointmentId, at, byUserId, what, why, cancellationToken);
}
