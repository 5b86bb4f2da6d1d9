using Dapper;
using Npgsql;
using Telemedicina.Scheduling.Contracts;
using Telemedicina.Scheduling.Domain;

namespace Telemedicina.Scheduling.Infrastructure;

/// <summary>An appointment row.</summary>
internal sealed class AppointmentRow
{
    public Guid Id { get; init; }

    public Guid DoctorId { get; init; }

    public Guid PatientId { get; init; }

    public DateTimeOffset StartsAt { get; init; }

    public DateTimeOffset EndsAt { get; init; }

    public string Status { get; init; } = "";

    public string? Reason { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public int? DurationSeconds { get; init; }

    public AppointmentStatus StatusValue => AppointmentStatusNames.Parse(Status);
}

/// <summary>One entry of an appointment's history.</summary>
internal sealed class HistoryRow
{
    public DateTimeOffset At { get; init; }

    public Guid? ByUserId { get; init; }

    public string What { get; init; } = "";

    public string? FromStatus { get; init; }

    public string? ToStatus { get; init; }

    public string? Why { get; init; }
}

/// <summary>Why a booking insert was refused by the database.</summary>
internal enum BookingConflict
{
    None,
    DoctorBusy,
    PatientBusy,
}

/// <summary>Appointments and their history. Every status change writes history in the same transaction.</summary>
internal sealed class AppointmentStore(NpgsqlDataSource db)
{
    private const string Columns = "id, doctor_id, patient_id, starts_at, ends_at, status, reason, created_at, duration_seconds";

    public async Task<BookingConflict> InsertAsync(AppointmentRow row, DateTimeOffset blockedFrom, DateTimeOffset blockedUntil, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, reason, created_at, updated_at)
                VALUES (@Id, @DoctorId, @PatientId, @StartsAt, @EndsAt, @blockedFrom, @blockedUntil, 'scheduled', @Reason, @CreatedAt, @CreatedAt)
                """,
                new { row.Id, row.DoctorId, row.PatientId, row.StartsAt, row.EndsAt, blockedFrom, blockedUntil, row.Reason, row.CreatedAt },
                tx);
            await InsertHistoryAsync(connection, tx, row.Id, row.CreatedAt, row.PatientId, "booked", null, "scheduled", null);
            await tx.CommitAsync(cancellationToken);
            return BookingConflict.None;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            return e.ConstraintName == "appointments_no_patient_overlap" ? BookingConflict.PatientBusy : BookingConflict.DoctorBusy;
        }
    }

    public async Task<AppointmentRow?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AppointmentRow>($"SELECT {Columns} FROM scheduling.appointments WHERE id = @id", new { id });
    }

    public async Task<IReadOnlyList<AppointmentRow>> ListAsync(Guid? doctorId, Guid? patientId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AppointmentRow>(
            $"""
            SELECT {Columns} FROM scheduling.appointments
            WHERE (@doctorId::uuid IS NULL OR doctor_id = @doctorId) AND (@patientId::uuid IS NULL OR patient_id = @patientId)
              AND starts_at < @to AND ends_at > @from
            ORDER BY starts_at LIMIT 500
            """,
            new { doctorId, patientId, from, to });
        return rows.ToList();
    }

    public async Task<IReadOnlyList<BusySpan>> BusyAsync(Guid doctorId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<BusyRow>(
            """
            SELECT blocked_from, blocked_until FROM scheduling.appointments
            WHERE doctor_id = @doctorId AND status IN ('scheduled', 'inProgress') AND blocked_from < @to AND blocked_until > @from
            """,
            new { doctorId, from, to });
        return rows.Select(r => new BusySpan(r.BlockedFrom, r.BlockedUntil)).ToList();
    }

    public async Task<IReadOnlyList<HistoryRow>> HistoryAsync(Guid appointmentId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<HistoryRow>(
            "SELECT at, by_user_id, what, from_status, to_status, why FROM scheduling.appointment_history WHERE appointment_id = @appointmentId ORDER BY id",
            new { appointmentId });
        return rows.ToList();
    }

    /// <summary>Moves an appointment from one of <paramref name="from"/> to <paramref name="to"/>; false if it was in none of them.</summary>
    public async Task<bool> TransitionAsync(
        Guid id, IReadOnlyCollection<AppointmentStatus> from, AppointmentStatus to, Guid? byUserId, string what, string? why,
        DateTimeOffset at, int? durationSeconds, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var previous = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT status FROM scheduling.appointments WHERE id = @id FOR UPDATE", new { id }, tx);
        if (previous is null || !from.Contains(AppointmentStatusNames.Parse(previous)))
        {
            return false;
        }

        var toName = AppointmentStatusNames.ToName(to);
        await connection.ExecuteAsync(
            """
            UPDATE scheduling.appointments SET status = @toName, updated_at = @at,
                started_at = CASE WHEN @toName = 'inProgress' THEN @at ELSE started_at END,
                completed_at = CASE WHEN @toName = 'completed' THEN @at ELSE completed_at END,
                duration_seconds = COALESCE(@durationSeconds, duration_seconds)
            WHERE id = @id
            """,
            new { id, toName, at, durationSeconds },
            tx);
        await InsertHistoryAsync(connection, tx, id, at, byUserId, what, previous, toName, why);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task AppendHistoryAsync(Guid id, DateTimeOffset at, Guid? byUserId, string what, string? why, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await InsertHistoryAsync(connection, null, id, at, byUserId, what, null, null, why);
    }

    private static Task<int> InsertHistoryAsync(
        NpgsqlConnection connection, NpgsqlTransaction? tx, Guid appointmentId, DateTimeOffset at, Guid? byUserId, string what,
        string? fromStatus, string? toStatus, string? why) =>
        connection.ExecuteAsync(
            """
            INSERT INTO scheduling.appointment_history (appointment_id, at, by_user_id, what, from_status, to_status, why)
            VALUES (@appointmentId, @at, @byUserId, @what, @fromStatus, @toStatus, @why)
            """,
            new { appointmentId, at, byUserId, what, fromStatus, toStatus, why },
            tx);

    private sealed class BusyRow
    {
        public DateTimeOffset BlockedFrom { get; init; }

        public DateTimeOffset BlockedUntil { get; init; }
    }
}
