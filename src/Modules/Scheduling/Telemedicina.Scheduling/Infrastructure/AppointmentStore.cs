using Dapper;
using Npgsql;
using Telemedicina.BuildingBlocks.Database;
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

    /// <summary>When the call started (set only by queries that select it).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the appointment was completed (set only by queries that select it).</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    public int? DurationSeconds { get; init; }

    public DateTimeOffset? CancelledAt { get; init; }

    public string? CancelReason { get; init; }

    public string? NoShowParty { get; init; }

    public Guid? RescheduledFrom { get; init; }

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

/// <summary>Who did a status change, what it was called in the history, and its side data.</summary>
internal sealed record Transition(Guid? ByUserId, string What, string? Why, DateTimeOffset At, int? DurationSeconds = null, string? NoShowParty = null);

/// <summary>Why a booking insert was refused by the database.</summary>
internal enum BookingConflict
{
    None,
    DoctorBusy,
    PatientBusy,
}

/// <summary>Appointments and their history. Every status change writes history in the same transaction.</summary>
internal sealed class AppointmentStore(NpgsqlDataSource db, BookingCalendar calendar)
{
    /// <summary>The advisory lock class of <see cref="LockBookersAsync"/>: arbitrary, stable, the same in every silo.</summary>
    private const int BookerLockClass = 0x5C4ED;

    /// <summary>
    /// One row once both locks are held: the aggregate consumes the keys in ascending order and returns only after
    /// the last lock, so a statement that selects from it runs its next step under both.
    /// </summary>
    private const string LockBookersSql =
        """
        SELECT count(pg_advisory_xact_lock(@lockClass, k)) AS held
        FROM (SELECT DISTINCT hashtext(id::text) AS k FROM unnest(ARRAY[@DoctorId, @PatientId]::uuid[]) AS id ORDER BY k) keys
        """;

    /// <summary>
    /// The doctor's live appointments' blocked spans (buffers included) that overlap [@from, @to), which must not be
    /// empty. Written as the range overlap of the no-double-booking constraint, so PostgreSQL finds them in that
    /// constraint's index: with plain comparisons of blocked_from and blocked_until it could only use the
    /// (doctor_id, starts_at) index's doctor_id and read every appointment the doctor ever had (5,000 of them: 3.7 ms
    /// against 0.6 ms for the 288 in a three-day window), and every booking and slot listing read it.
    /// </summary>
    internal const string BusySql =
        """
        SELECT blocked_from, blocked_until FROM scheduling.appointments
        WHERE doctor_id = @doctorId AND status IN ('scheduled', 'inProgress')
          AND tstzrange(blocked_from, blocked_until, '[)') && tstzrange(@from, @to, '[)')
        """;

    private const string Columns =
        "id, doctor_id, patient_id, starts_at, ends_at, status, reason, created_at, duration_seconds, cancelled_at, cancel_reason, no_show_party, rescheduled_from";

    /// <summary>
    /// Books: the appointment, its first history entry and the outbox rows that tell the doctor of it and confirm it to
    /// the patient, in one statement, so in one round trip and one implicit transaction. The bookers' locks
    /// (<see cref="LockBookersAsync"/>) are taken by the statement's first step and held only while it runs: they
    /// were held across four round trips before (lock, insert, history, commit), and 64 clients booking 8 doctors
    /// queued on them (S4 in docs/benchmarks.md). The outbox rows commit with the appointment or not at all.
    /// </summary>
    /// <remarks>
    /// A slot taken meanwhile is the exclusion constraints' call, as before, but answered by <c>ON CONFLICT DO
    /// NOTHING</c> (no row, no history, no outbox row) instead of an error: the error aborted the transaction, wrote
    /// the statement to the server's log and came back as an exception rethrown at every await on the way up, for
    /// what is an ordinary answer under contention (S4: about 400 exceptions a second per silo). The batch's second
    /// statement runs on a fresh snapshot, so it sees the booking that won, and says whose it was.
    /// </remarks>
    public async Task<BookingConflict> InsertAsync(
        AppointmentRow row, DateTimeOffset blockedFrom, DateTimeOffset blockedUntil, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var command = new CommandDefinition(
            $"""
            WITH locked AS ({LockBookersSql}),
            appointment AS (
                INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, reason, created_at, updated_at)
                SELECT @Id, @DoctorId, @PatientId, @StartsAt, @EndsAt, @blockedFrom, @blockedUntil, 'scheduled', @Reason, @CreatedAt, @CreatedAt
                FROM locked
                ON CONFLICT DO NOTHING
                RETURNING id),
            history AS (
                INSERT INTO scheduling.appointment_history (appointment_id, at, by_user_id, what, from_status, to_status, why)
                SELECT id, @CreatedAt, @PatientId, 'booked', NULL, 'scheduled', NULL FROM appointment),
            notification AS (
                INSERT INTO scheduling.notifications (appointment_id, kind, recipient_id, created_at)
                SELECT id, @kind, @DoctorId, @CreatedAt FROM appointment
                UNION ALL SELECT id, @kind, @PatientId, @CreatedAt FROM appointment)
            SELECT count(*)::int FROM appointment;
            SELECT EXISTS (
                SELECT 1 FROM scheduling.appointments
                WHERE patient_id = @PatientId AND id <> @Id AND status IN ('scheduled', 'inProgress')
                  AND tstzrange(starts_at, ends_at, '[)') && tstzrange(@StartsAt, @EndsAt, '[)'));
            """,
            new
            {
                lockClass = BookerLockClass, row.Id, row.DoctorId, row.PatientId, row.StartsAt, row.EndsAt, blockedFrom, blockedUntil,
                row.Reason, row.CreatedAt, kind = NotificationKinds.Booked,
            },
            cancellationToken: cancellationToken);
        return await connection.ReadMultipleAsync(command, async results =>
        {
            var inserted = await results.ReadSingleAsync<int>();
            var patientBusy = await results.ReadSingleAsync<bool>();
            return inserted == 1 ? BookingConflict.None : patientBusy ? BookingConflict.PatientBusy : BookingConflict.DoctorBusy;
        });
    }

    public async Task<AppointmentRow?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AppointmentRow>($"SELECT {Columns} FROM scheduling.appointments WHERE id = @id", new { id });
    }

    /// <summary>
    /// The doctor's appointments of every status that overlap [@from, @to), oldest first, at most @limit. starts_at is
    /// bounded on both sides (an appointment spans at most 24 hours: the appointments_span_at_most_a_day constraint), so
    /// PostgreSQL walks the (doctor_id, starts_at) index from the window on; with ends_at &gt; @from alone it read every
    /// appointment the doctor had before the window and dropped it, and a doctor's history only grows.
    /// </summary>
    internal const string ListByDoctorSql = $"SELECT {Columns} FROM scheduling.appointments WHERE doctor_id = @personId AND {ListWindow}";

    /// <summary>The patient's appointments, as <see cref="ListByDoctorSql"/> for the doctor's, on the (patient_id, starts_at) index.</summary>
    internal const string ListByPatientSql = $"SELECT {Columns} FROM scheduling.appointments WHERE patient_id = @personId AND {ListWindow}";

    private const string ListWindow =
        "starts_at < @to AND starts_at > @from - interval '24 hours' AND ends_at > @from ORDER BY starts_at LIMIT @limit";

    /// <summary>The most appointments one list answers; a window with more is refused, not cut short.</summary>
    internal const int ListLimit = 1_000;

    /// <summary>
    /// The appointments of <paramref name="personId"/> on the given side that overlap [<paramref name="from"/>,
    /// <paramref name="to"/>), oldest first: at most <see cref="ListLimit"/> + 1, so a caller can tell a window that
    /// holds more than the limit.
    /// </summary>
    public async Task<IReadOnlyList<AppointmentRow>> ListAsync(bool asDoctor, Guid personId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        if (to <= from)
        {
            return [];
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AppointmentRow>(asDoctor ? ListByDoctorSql : ListByPatientSql, new { personId, from, to, limit = ListLimit + 1 });
        return rows.ToList();
    }

    public async Task<IReadOnlyList<BusySpan>> BusyAsync(Guid doctorId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        if (to <= from)
        {
            return [];
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<BusyRow>(BusySql, new { doctorId, from, to });
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

    /// <summary>
    /// Moves an appointment to <paramref name="to"/> if <see cref="AppointmentLifecycle"/> allows it from its
    /// current status; returns the previous status on success, null (and changes nothing) otherwise.
    /// </summary>
    public async Task<AppointmentStatus?> TransitionAsync(Guid id, AppointmentStatus to, Transition change, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var previous = await TransitionAsync(connection, tx, id, to, change);
        if (previous is null)
        {
            return null;
        }

        await tx.CommitAsync(cancellationToken);
        if (to is not (AppointmentStatus.Scheduled or AppointmentStatus.InProgress))
        {
            // The slot is free again (BusySql counts live appointments only): answered once the doctor's calendar has
            // let go of it too, so that it can be booked again at once, on any silo.
            await calendar.ForgetAsync(previous.Value.DoctorId, previous.Value.StartsAt);
        }

        return previous.Value.Status;
    }

    /// <summary>
    /// Reschedules in one transaction: the old appointment is cancelled and the new one inserted with a
    /// link back to it. If the new slot is taken, nothing changes.
    /// </summary>
    public async Task<(BookingConflict Conflict, bool Moved)> RescheduleAsync(
        Guid oldId, AppointmentRow replacement, DateTimeOffset blockedFrom, DateTimeOffset blockedUntil, Guid byUserId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await LockBookersAsync(connection, tx, replacement.DoctorId, replacement.PatientId);
        var previous = await TransitionAsync(connection, tx, oldId, AppointmentStatus.Cancelled,
            new Transition(byUserId, "rescheduled", "remarcada para " + replacement.StartsAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), at));
        if (previous is null)
        {
            return (BookingConflict.None, false);
        }

        try
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, reason,
                                                     created_at, updated_at, rescheduled_from)
                VALUES (@Id, @DoctorId, @PatientId, @StartsAt, @EndsAt, @blockedFrom, @blockedUntil, 'scheduled', @Reason, @CreatedAt, @CreatedAt, @oldId)
                """,
                new { replacement.Id, replacement.DoctorId, replacement.PatientId, replacement.StartsAt, replacement.EndsAt, blockedFrom, blockedUntil, replacement.Reason, replacement.CreatedAt, oldId },
                tx);
            await InsertHistoryAsync(connection, tx, replacement.Id, at, byUserId, "booked", null, "scheduled", "remarcada a partir de " + oldId);
            await tx.CommitAsync(cancellationToken);
            await calendar.ForgetAsync(previous.Value.DoctorId, previous.Value.StartsAt);
            return (BookingConflict.None, true);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            await tx.RollbackAsync(cancellationToken);
            return (e.ConstraintName == "appointments_no_patient_overlap" ? BookingConflict.PatientBusy : BookingConflict.DoctorBusy, false);
        }
    }

    // The previous status on success, with the doctor and start of the slot.
    private static async Task<(AppointmentStatus Status, Guid DoctorId, DateTimeOffset StartsAt)?> TransitionAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid id, AppointmentStatus to, Transition change)
    {
        var current = await connection.QuerySingleOrDefaultAsync<CurrentRow>(
            "SELECT status, doctor_id, starts_at FROM scheduling.appointments WHERE id = @id FOR UPDATE", new { id }, tx);
        if (current is null || !AppointmentLifecycle.CanMove(AppointmentStatusNames.Parse(current.Status), to))
        {
            return null;
        }

        var previousName = current.Status;
        var toName = AppointmentStatusNames.ToName(to);
        await connection.ExecuteAsync(
            """
            UPDATE scheduling.appointments SET status = @toName, updated_at = @At,
                started_at = CASE WHEN @toName = 'inProgress' THEN @At ELSE started_at END,
                completed_at = CASE WHEN @toName = 'completed' THEN @At ELSE completed_at END,
                cancelled_at = CASE WHEN @toName = 'cancelled' THEN @At ELSE cancelled_at END,
                cancelled_by = CASE WHEN @toName = 'cancelled' THEN @ByUserId ELSE cancelled_by END,
                cancel_reason = CASE WHEN @toName = 'cancelled' THEN @Why ELSE cancel_reason END,
                duration_seconds = COALESCE(@DurationSeconds, duration_seconds),
                no_show_party = COALESCE(@NoShowParty, no_show_party)
            WHERE id = @id
            """,
            new { id, toName, change.At, change.ByUserId, change.Why, change.DurationSeconds, change.NoShowParty },
            tx);
        await InsertHistoryAsync(connection, tx, id, change.At, change.ByUserId, change.What, previousName, toName, change.Why);
        return (AppointmentStatusNames.Parse(previousName), current.DoctorId, current.StartsAt);
    }

    public async Task AppendHistoryAsync(Guid id, DateTimeOffset at, Guid? byUserId, string what, string? why, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await InsertHistoryAsync(connection, null, id, at, byUserId, what, null, null, why);
    }

    /// <summary>
    /// Serializes the transactions that insert live appointments of one doctor or one patient. Without it, two
    /// inserters of conflicting rows could both reach an exclusion constraint's check before either committed; each
    /// then waits for the other, and PostgreSQL breaks the tie after deadlock_timeout (1 s) with a deadlock error
    /// (40P01) that became a 503 (ConcurrentInsertTests: 23–46 of 288 simultaneous inserts). Holding these locks, an
    /// inserter finds every conflicting row already committed (a plain exclusion violation, the 409) or absent.
    /// Transaction-scoped advisory locks in their own class (the two-key form, apart from the single-key locks of
    /// the audit chain and migrations), always taken in ascending order so that two bookers never wait on each other.
    /// </summary>
    private static Task<int> LockBookersAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid doctorId, Guid patientId) =>
        connection.ExecuteAsync(LockBookersSql, new { lockClass = BookerLockClass, DoctorId = doctorId, PatientId = patientId }, tx);

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

    private sealed record CurrentRow(string Status, Guid DoctorId, DateTimeOffset StartsAt);

    internal sealed class BusyRow
    {
        public DateTimeOffset BlockedFrom { get; init; }

        public DateTimeOffset BlockedUntil { get; init; }
    }
}
