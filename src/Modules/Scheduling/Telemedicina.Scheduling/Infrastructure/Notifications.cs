using System.Globalization;
using System.Net;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Email;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Scheduling.Infrastructure;

/// <summary>Kinds of appointment notifications.</summary>
internal static class NotificationKinds
{
    public const string Reminder24h = "reminder-24h";
    public const string Reminder1h = "reminder-1h";
    public const string Cancelled = "cancelled";
    public const string Rescheduled = "rescheduled";
    public const string Booked = "booked";
}

/// <summary>
/// The notification outbox: producing a notification twice is a no-op (unique per appointment,
/// kind and recipient); sending claims the row first, so across silos each is delivered once,
/// and the delivery (or the last error) is recorded on the row.
/// </summary>
internal sealed partial class Notifications(
    NpgsqlDataSource db, IUserDirectory directory, IEmailSender email, IAuditTrail audit, TimeProvider clock, ILogger<Notifications> logger)
{
    private static readonly CultureInfo PtBr = CultureInfo.GetCultureInfo("pt-BR");

    /// <summary>Queues a notification; returns true when it was not queued before.</summary>
    public async Task<bool> EnqueueAsync(Guid appointmentId, string kind, Guid recipientId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(
            """
            INSERT INTO scheduling.notifications (appointment_id, kind, recipient_id, created_at)
            VALUES (@appointmentId, @kind, @recipientId, @now)
            ON CONFLICT (appointment_id, kind, recipient_id) DO NOTHING
            """,
            new { appointmentId, kind, recipientId, now = clock.GetUtcNow() }) == 1;
    }

    /// <summary>Sends up to <paramref name="max"/> pending notifications; returns how many were delivered.</summary>
    public async Task<int> DispatchPendingAsync(int max, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        List<Pending> claimed;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            claimed = (await connection.QueryAsync<Pending>(
                // A person's mails about one appointment go out in the order they were queued. Every silo dispatches: one
                // took the "cancelled" row while another held the older "booked" one, and the doctor's last mail said
                // "booked". So a row waits while an older one to the same person about the same appointment is unsent
                // (it goes at the next run, once that one is), and a run sends what it claimed in order.
                """
                WITH claimed AS (
                    UPDATE scheduling.notifications n SET claimed_at = @now, attempts = n.attempts + 1
                    WHERE n.id IN (
                        SELECT p.id FROM scheduling.notifications p
                        WHERE p.sent_at IS NULL AND p.attempts < 5 AND (p.claimed_at IS NULL OR p.claimed_at < @stale)
                          AND NOT EXISTS (
                              SELECT 1 FROM scheduling.notifications o
                              WHERE o.appointment_id = p.appointment_id AND o.recipient_id = p.recipient_id
                                AND o.id < p.id AND o.sent_at IS NULL AND o.attempts < 5)
                        ORDER BY p.id LIMIT @max FOR UPDATE SKIP LOCKED)
                    RETURNING n.id, n.appointment_id, n.kind, n.recipient_id)
                SELECT id, appointment_id, kind, recipient_id FROM claimed ORDER BY id
                """,
                new { now, stale = now.AddMinutes(-2), max })).ToList();
        }

        var delivered = 0;
        foreach (var item in claimed)
        {
            try
            {
                await SendAsync(item, cancellationToken);
                await MarkAsync(item.Id, "UPDATE scheduling.notifications SET sent_at = @now, last_error = NULL WHERE id = @id", null, cancellationToken);
                delivered++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSendFailed(logger, e, item.Id);
                await MarkAsync(item.Id, "UPDATE scheduling.notifications SET claimed_at = NULL, last_error = @error WHERE id = @id", e.GetType().Name, cancellationToken);
            }
        }

        return delivered;
    }

    private async Task SendAsync(Pending item, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var appointment = await connection.QuerySingleAsync<AppointmentRow>(
            "SELECT id, doctor_id, patient_id, starts_at, ends_at, status, reason, created_at FROM scheduling.appointments WHERE id = @id",
            new { id = item.AppointmentId });
        var recipient = await directory.FindContactAsync(item.RecipientId, cancellationToken);
        if (recipient is null)
        {
            return;
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "UserContact", item.RecipientId.ToString(), null, "system", item.RecipientId, Purpose: "notification",
            Details: new Dictionary<string, string> { ["kind"] = item.Kind, ["appointmentId"] = item.AppointmentId.ToString() }), cancellationToken);
        var other = await directory.GetNamesAsync([item.RecipientId == appointment.DoctorId ? appointment.PatientId : appointment.DoctorId], cancellationToken);
        var otherName = other.Values.FirstOrDefault() ?? "a outra parte";
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(recipient.TimeZone ?? "America/Sao_Paulo", out var z) ? z : TimeZoneInfo.Utc;
        var when = When(appointment.StartsAt, zone);
        var toPatient = item.RecipientId == appointment.PatientId;
        var (subject, line) = item.Kind switch
        {
            NotificationKinds.Booked when toPatient =>
                ("Consulta agendada", $"Sua consulta com {otherName} está marcada para {when}. No horário, entre pela página Minhas consultas."),
            NotificationKinds.Reminder24h => ("Lembrete: sua consulta é amanhã", $"Sua consulta com {otherName} é {when}."),
            NotificationKinds.Reminder1h => ("Sua consulta começa em 1 hora", $"Sua consulta com {otherName} começa {when}. A sala abre alguns minutos antes."),
            NotificationKinds.Cancelled => ("Consulta cancelada", $"A consulta com {otherName} de {when} foi cancelada."),
            NotificationKinds.Rescheduled => ("Consulta remarcada", $"A consulta com {otherName} foi remarcada para {when}."),
            NotificationKinds.Booked => ("Nova consulta agendada", $"{otherName} agendou uma consulta para {when}."),
            _ => ("Atualização da sua consulta", $"Sua consulta de {when} foi atualizada."),
        };
        var first = Greeting.FirstName(recipient.FullName);
        var text = $"Olá, {first}.\n\n{line}\n\nEquipe Telemedicina Para Todos";
        var html = $"<p>Olá, {WebUtility.HtmlEncode(first)}.</p><p>{WebUtility.HtmlEncode(line)}</p><p>Equipe Telemedicina Para Todos</p>";
        await email.SendAsync(new EmailMessage(recipient.Email, subject, text, html, null, item.Kind), cancellationToken);
    }

    /// <summary>
    /// An appointment's start as a mail says it: the day and time in the recipient's zone, and which zone that is. Without
    /// it a patient whose profile is in Manaus, or a doctor who set the agenda in another zone, read a time an hour or
    /// more off as their own.
    /// </summary>
    internal static string When(DateTimeOffset startsAt, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(startsAt, zone);
        return $"{local.ToString("dddd, dd/MM 'às' HH:mm", PtBr)} ({ZoneName(zone, local.Offset)})";
    }

    private static string ZoneName(TimeZoneInfo zone, TimeSpan offset)
    {
        if (zone.Id is "America/Sao_Paulo")
        {
            return "horário de Brasília";
        }

        var utc = offset == TimeSpan.Zero
            ? "UTC"
            : $"UTC{(offset < TimeSpan.Zero ? "−" : "+")}{offset.Duration().Hours}{(offset.Minutes != 0 ? $":{offset.Duration().Minutes:00}" : "")}";
        var slash = zone.Id.LastIndexOf('/');
        return slash < 0 || zone.Id is "Etc/UTC" ? utc : $"horário de {zone.Id[(slash + 1)..].Replace('_', ' ')}, {utc}";
    }

    private async Task MarkAsync(long id, string sql, string? error, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(sql, new { id, now = clock.GetUtcNow(), error });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending notification {Id} failed; it will be retried")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, long id);

    private sealed class Pending
    {
        public long Id { get; init; }

        public Guid AppointmentId { get; init; }

        public string Kind { get; init; } = "";

        public Guid RecipientId { get; init; }
    }
}
