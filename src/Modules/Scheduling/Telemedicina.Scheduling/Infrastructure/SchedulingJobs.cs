using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.Scheduling.Contracts;

namespace Telemedicina.Scheduling.Infrastructure;

/// <inheritdoc cref="ISchedulingJobs"/>
internal sealed partial class SchedulingJobs(
    NpgsqlDataSource db,
    AppointmentStore appointments,
    Notifications notifications,
    IAuditTrail audit,
    IOptions<SchedulingSettings> settings,
    TimeProvider clock,
    ILogger<SchedulingJobs> logger) : ISchedulingJobs
{
    public TimeSpan Interval => settings.Value.JobInterval;

    public async Task<JobRunSummary> RunDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var noShows = await MarkNoShowsAsync(now, cancellationToken);
        var completed = await AutoCompleteAsync(now, cancellationToken);
        var queued = await QueueRemindersAsync(now, cancellationToken);
        var sent = await notifications.DispatchPendingAsync(200, cancellationToken);
        var summary = new JobRunSummary(noShows, completed, queued, sent);
        if (noShows + completed + queued + sent > 0)
        {
            LogRun(logger, noShows, completed, queued, sent);
        }

        return summary;
    }

    private async Task<int> MarkNoShowsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Who entered the call comes from the calls module, recorded in the appointment history. An appointment is a
        // no-show only once its join window has closed (IAppointmentBook.GetJoinWindow): the patient was told "Não
        // compareceu", with no button, 15 min after the start while the room still let them in for another 45.
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var due = (await connection.QueryAsync<NoShowCandidate>(
            """
            SELECT a.id, a.patient_id, a.doctor_id,
                   EXISTS (SELECT 1 FROM scheduling.appointment_history h
                           WHERE h.appointment_id = a.id AND h.by_user_id = a.patient_id AND h.what IN ('call.joined', 'call.rejoined')) AS patient_joined,
                   EXISTS (SELECT 1 FROM scheduling.appointment_history h
                           WHERE h.appointment_id = a.id AND h.by_user_id = a.doctor_id AND h.what IN ('call.joined', 'call.rejoined')) AS doctor_joined
            FROM scheduling.appointments a
            WHERE a.status = 'scheduled' AND a.ends_at <= @closedBy
            ORDER BY a.starts_at LIMIT 500
            """,
            new { closedBy = now - settings.Value.JoinWindowAfter })).ToList();

        var count = 0;
        foreach (var candidate in due)
        {
            var party = (candidate.PatientJoined, candidate.DoctorJoined) switch
            {
                (false, false) => "both",
                (false, true) => "patient",
                (true, false) => "doctor",
                _ => null,
            };
            if (party is null)
            {
                continue;
            }

            if (await appointments.TransitionAsync(candidate.Id, AppointmentStatus.NoShow,
                    new Transition(null, "no-show", $"nobody from '{party}' joined before the join window closed", now, NoShowParty: party), cancellationToken) is not null)
            {
                count++;
                await audit.RecordAsync(new AuditEvent(AuditActions.Execute, "Appointment", candidate.Id.ToString(), null, "system", candidate.PatientId,
                    Purpose: "scheduling-job", Details: new Dictionary<string, string> { ["status"] = "noShow", ["party"] = party }), cancellationToken);
            }
        }

        return count;
    }

    private async Task<int> AutoCompleteAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var max = settings.Value.MaxConsultationDuration;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var due = (await connection.QueryAsync<(Guid Id, Guid PatientId)>(
            "SELECT id, patient_id FROM scheduling.appointments WHERE status = 'inProgress' AND started_at <= @cutoff LIMIT 500",
            new { cutoff = now - max })).ToList();
        var count = 0;
        foreach (var (id, patientId) in due)
        {
            if (await appointments.TransitionAsync(id, AppointmentStatus.Completed,
                    new Transition(null, "auto-completed", "maximum consultation duration reached", now, (int)max.TotalSeconds), cancellationToken) is not null)
            {
                count++;
                await audit.RecordAsync(new AuditEvent(AuditActions.Execute, "Appointment", id.ToString(), null, "system", patientId,
                    Purpose: "scheduling-job", Details: new Dictionary<string, string> { ["status"] = "completed", ["auto"] = "true" }), cancellationToken);
            }
        }

        return count;
    }

    /// <summary>
    /// Queues the reminders that are due: set-based and idempotent, the unique (appointment, kind, recipient) key absorbs
    /// repeats. A reminder is only due if the booking was made before its moment (no "tomorrow" mail for a booking made
    /// today). starts_at is bounded above by the longest lead (24 hours), so the live-time index is read for the next day
    /// only: with the lower bound alone every run (each minute) read every appointment of the whole booking window and
    /// dropped all but a day of them (360,000 booked over 30 days: 157 ms a run against 35 ms).
    /// </summary>
    internal const string QueueRemindersSql =
        """
        INSERT INTO scheduling.notifications (appointment_id, kind, recipient_id, created_at)
        SELECT a.id, r.kind, CASE r.who WHEN 'patient' THEN a.patient_id ELSE a.doctor_id END, @now
        FROM scheduling.appointments a
        CROSS JOIN (VALUES ('reminder-24h', 'patient', interval '24 hours'),
                           ('reminder-1h', 'patient', interval '1 hour'),
                           ('reminder-1h', 'doctor', interval '1 hour')) AS r(kind, who, ahead)
        WHERE a.status = 'scheduled'
          AND a.starts_at > @now AND a.starts_at <= @now + interval '24 hours'
          AND a.starts_at - r.ahead <= @now
          AND a.created_at <= a.starts_at - r.ahead
          AND (r.kind <> 'reminder-24h' OR a.starts_at - interval '1 hour' > @now)
        ON CONFLICT (appointment_id, kind, recipient_id) DO NOTHING
        """;

    private async Task<int> QueueRemindersAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(QueueRemindersSql, new { now });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduling jobs: {NoShows} no-show(s), {Completed} auto-completed, {Queued} reminder(s) queued, {Sent} notification(s) sent")]
    private static partial void LogRun(ILogger logger, int noShows, int completed, int queued, int sent);

    private sealed class NoShowCandidate
    {
        public Guid Id { get; init; }

        public Guid PatientId { get; init; }

        public Guid DoctorId { get; init; }

        public bool PatientJoined { get; init; }

        public bool DoctorJoined { get; init; }
    }
}
