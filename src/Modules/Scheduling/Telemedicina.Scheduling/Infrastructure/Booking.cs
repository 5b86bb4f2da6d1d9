using Microsoft.Extensions.Options;
using Telemedicina.Audit.Contracts;
using Telemedicina.Identity.Contracts;
using Telemedicina.Scheduling.Domain;

namespace Telemedicina.Scheduling.Infrastructure;

/// <summary>Outcome of a booking attempt.</summary>
internal abstract record BookingResult
{
    public sealed record Booked(AppointmentRow Appointment) : BookingResult;

    /// <summary>The patient may not book (unconfirmed e-mail, no consent): 403.</summary>
    public sealed record NotAllowed(string Type, string Detail) : BookingResult;

    /// <summary>Outside availability, notice or window, or doctor not bookable: 422.</summary>
    public sealed record Unprocessable(string Detail) : BookingResult;

    /// <summary>The slot was taken meanwhile: 409 with the next free slots.</summary>
    public sealed record Taken(string Detail, IReadOnlyList<Slot> Alternatives) : BookingResult;

    /// <summary>No such appointment for this caller: 404.</summary>
    public sealed record NotFound : BookingResult;

    /// <summary>The appointment is not in a state that allows this: 409.</summary>
    public sealed record WrongState(string Detail) : BookingResult;
}

/// <summary>Slot queries and bookings, with every rule checked here and double booking refused by the database.</summary>
internal sealed class Booking(
    AvailabilityStore availability,
    AppointmentStore appointments,
    BookingCalendar calendar,
    RecentSchedules schedules,
    IUserDirectory directory,
    IConsentRegistry consents,
    Notifications notifications,
    IOptions<SchedulingSettings> settings,
    TimeProvider clock)
{
    public async Task<IReadOnlyList<Slot>?> FreeSlotsAsync(Guid doctorId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var doctor = await directory.FindDoctorAsync(doctorId, cancellationToken);
        var rules = doctor is { Bookable: true } ? await availability.FindAsync(doctorId, cancellationToken) : null;
        if (rules is null)
        {
            return doctor is { Bookable: true } ? [] : null;
        }

        return await ComputeAsync(rules, from, to, withBusy: true, cancellationToken);
    }

    /// <remarks>
    /// A slot that the doctor's calendar knows to be taken — another booking of it is in progress on some silo, or
    /// was made in the last minute — is answered 409 at once, with alternatives from one read of the schedule: the
    /// lost races of a contended load, most of its requests, then cost neither the patient's checks nor an insert
    /// (S4 in docs/benchmarks.md). So a patient who may not book yet (e-mail, consent) is told such a slot is taken
    /// before being told why they cannot book; a free slot gets the checks in the order below.
    /// </remarks>
    public async Task<BookingResult> BookAsync(Guid patientId, Guid doctorId, DateTimeOffset startsAt, string? reason, CancellationToken cancellationToken)
    {
        var hold = await calendar.TryHoldAsync(doctorId, startsAt);
        if (hold.Taken)
        {
            return await KnownTakenAsync(doctorId, startsAt, hold.KnownTaken, hold.Revision, cancellationToken);
        }

        var booked = false;
        try
        {
            var result = await DecideAsync(patientId, doctorId, startsAt, reason, hold.Revision, cancellationToken);
            booked = result is BookingResult.Booked;
            return result;
        }
        finally
        {
            hold.Settle(booked);
        }
    }

    // The slot starting at startsAt is being booked or was just booked: its alternatives, from a recent read of the
    // schedule on this silo (RecentSchedules), else from a read of its own. The read may not show that booking yet,
    // nor the others the calendar knows of: their slots are added to the busy spans.
    private async Task<BookingResult> KnownTakenAsync(
        Guid doctorId, DateTimeOffset startsAt, IReadOnlyList<DateTimeOffset> knownTaken, Guid? revision, CancellationToken cancellationToken)
    {
        var schedule = await ScheduleAsync(doctorId, startsAt, revision, cancellationToken);
        if (schedule is null)
        {
            return new BookingResult.Unprocessable("Este médico não está disponível para agendamento.");
        }

        var rules = schedule.Rules;
        BusySpan SlotAt(DateTimeOffset start) => new(start.AddMinutes(-rules.BufferBeforeMinutes), start.AddMinutes(rules.SlotMinutes + rules.BufferAfterMinutes));
        var busy = schedule.Busy.Append(SlotAt(startsAt)).Concat(knownTaken.Select(SlotAt)).ToList();
        var alternatives = await AlternativesAsync(rules, startsAt, schedule with { Busy = busy }, cancellationToken);
        return new BookingResult.Taken("Este horário acabou de ser reservado.", alternatives);
    }

    // The doctor's schedule around startsAt: this silo's recent read when the doctor's calendar has announced no change
    // since it began (RecentSchedules), else a read, kept for the next requests.
    private async Task<ScheduleAround?> ScheduleAsync(Guid doctorId, DateTimeOffset startsAt, Guid? revision, CancellationToken cancellationToken)
    {
        if (schedules.Find(doctorId, startsAt, revision) is { } recent)
        {
            return recent;
        }

        var began = clock.GetUtcNow();
        var schedule = await availability.AroundAsync(doctorId, startsAt, cancellationToken);
        if (schedule is not null)
        {
            schedules.Keep(doctorId, startsAt, schedule, began, revision);
        }

        return schedule;
    }

    private async Task<BookingResult> DecideAsync(
        Guid patientId, Guid doctorId, DateTimeOffset startsAt, string? reason, Guid? revision, CancellationToken cancellationToken)
    {
        // Three independent reads, at once and one round trip each: both parties (Identity), the consent (Audit) and
        // the doctor's schedule around the slot (rules, days off, busy spans; usually a recent read under load). The
        // rules are checked in this order.
        var partiesLookup = directory.FindUserAndDoctorAsync(patientId, doctorId, cancellationToken);
        var consentLookup = consents.HasConsentAsync(patientId, ConsentTypes.Telemedicine, cancellationToken);
        var scheduleLookup = ScheduleAsync(doctorId, startsAt, revision, cancellationToken);
        await Task.WhenAll(partiesLookup, consentLookup, scheduleLookup);
        var (patient, doctor) = await partiesLookup;
        if (patient is null || !patient.EmailConfirmed)
        {
            return new BookingResult.NotAllowed("email-not-confirmed", "Confirme seu e-mail antes de agendar.");
        }

        if (!await consentLookup)
        {
            return new BookingResult.NotAllowed("consent-required", "É preciso aceitar o termo de consentimento para telemedicina antes de agendar.");
        }

        var schedule = doctor is { Bookable: true } ? await scheduleLookup : null;
        if (schedule is null)
        {
            return new BookingResult.Unprocessable("Este médico não está disponível para agendamento.");
        }

        var rules = schedule.Rules;
        // Only the slot that starts at that instant, if there is one.
        var slot = Compute(rules, schedule.Blocked, startsAt, startsAt.AddTicks(1), []).FirstOrDefault(s => s.StartsAt == startsAt);
        if (slot is null)
        {
            return new BookingResult.Unprocessable("Horário fora da disponibilidade do médico, da antecedência mínima ou da janela de agendamento.");
        }

        var blockedFrom = slot.StartsAt.AddMinutes(-rules.BufferBeforeMinutes);
        var blockedUntil = slot.EndsAt.AddMinutes(rules.BufferAfterMinutes);
        if (SlotCalculator.Overlaps(SlotCalculator.Merge(schedule.Busy), blockedFrom, blockedUntil))
        {
            // Taken when the schedule was read: refused without an insert that the database would refuse, and the
            // alternatives come from the same read (most 409s of a contended booking load are these).
            return new BookingResult.Taken("Este horário acabou de ser reservado.", await AlternativesAsync(rules, slot.StartsAt, schedule, cancellationToken));
        }

        var now = clock.GetUtcNow();
        var row = new AppointmentRow
        {
            Id = Guid.CreateVersion7(),
            DoctorId = doctorId,
            PatientId = patientId,
            StartsAt = slot.StartsAt,
            EndsAt = slot.EndsAt,
            Status = "scheduled",
            Reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(),
            CreatedAt = now,
        };
        // The doctor's "booked" notification and the patient's confirmation are queued by the same statement. The database has the last word: the
        // slot may have been taken since the read.
        var conflict = await appointments.InsertAsync(row, blockedFrom, blockedUntil, cancellationToken);
        if (conflict == BookingConflict.None)
        {
            return new BookingResult.Booked(row);
        }

        var alternatives = await AlternativesAsync(rules, slot.StartsAt, known: null, cancellationToken, conflict == BookingConflict.PatientBusy ? patientId : null);
        return new BookingResult.Taken(
            conflict == BookingConflict.PatientBusy ? "Você já tem uma consulta nesse horário." : "Este horário acabou de ser reservado.",
            alternatives);
    }

    /// <summary>
    /// Cancels a scheduled appointment. Patients until <see cref="SchedulingSettings.CancelBefore"/> before the
    /// start; doctors and admins any time, with a reason. The other party is notified.
    /// </summary>
    public async Task<BookingResult> CancelAsync(Guid appointmentId, Guid byUserId, bool asAdmin, string? reason, CancellationToken cancellationToken)
    {
        var row = await appointments.FindAsync(appointmentId, cancellationToken);
        var isAdmin = asAdmin;
        if (row is null || (!isAdmin && row.PatientId != byUserId && row.DoctorId != byUserId))
        {
            return new BookingResult.NotFound();
        }

        if (row.StatusValue != Contracts.AppointmentStatus.Scheduled)
        {
            return new BookingResult.WrongState("Só consultas agendadas podem ser canceladas.");
        }

        var now = clock.GetUtcNow();
        var byPatient = !isAdmin && row.PatientId == byUserId;
        if (byPatient && now > row.StartsAt - settings.Value.CancelBefore)
        {
            return new BookingResult.Unprocessable(
                $"O paciente pode cancelar até {settings.Value.CancelBefore.TotalHours:0.#} h antes do início. Fale com o médico.");
        }

        if (!byPatient && string.IsNullOrWhiteSpace(reason))
        {
            return new BookingResult.Unprocessable("Informe o motivo do cancelamento.");
        }

        var done = await appointments.TransitionAsync(appointmentId, Contracts.AppointmentStatus.Cancelled,
            new Transition(byUserId, isAdmin ? "cancelled-by-admin" : "cancelled", reason?.Trim(), now), cancellationToken);
        if (done is null)
        {
            return new BookingResult.WrongState("Só consultas agendadas podem ser canceladas.");
        }

        foreach (var party in new[] { row.PatientId, row.DoctorId }.Where(p => p != byUserId))
        {
            await notifications.EnqueueAsync(appointmentId, NotificationKinds.Cancelled, party, cancellationToken);
        }

        return new BookingResult.Booked((await appointments.FindAsync(appointmentId, cancellationToken))!);
    }

    /// <summary>Moves a patient's appointment to another slot of the same doctor: cancel + rebook in one transaction.</summary>
    public async Task<BookingResult> RescheduleAsync(Guid appointmentId, Guid patientId, DateTimeOffset startsAt, CancellationToken cancellationToken)
    {
        var row = await appointments.FindAsync(appointmentId, cancellationToken);
        if (row is null || row.PatientId != patientId)
        {
            return new BookingResult.NotFound();
        }

        if (row.StatusValue != Contracts.AppointmentStatus.Scheduled)
        {
            return new BookingResult.WrongState("Só consultas agendadas podem ser remarcadas.");
        }

        var now = clock.GetUtcNow();
        if (now > row.StartsAt - settings.Value.CancelBefore)
        {
            return new BookingResult.Unprocessable($"Remarcações até {settings.Value.CancelBefore.TotalHours:0.#} h antes do início.");
        }

        // Moving to the time it already has would cancel it and book the same slot again under a new id: the
        // patient's links and the doctor's notice would change for nothing.
        if (startsAt == row.StartsAt)
        {
            return new BookingResult.Unprocessable("A consulta já está marcada para este horário. Escolha outro horário.");
        }

        var rules = await availability.FindAsync(row.DoctorId, cancellationToken);
        var doctor = await directory.FindDoctorAsync(row.DoctorId, cancellationToken);
        if (rules is null || doctor is not { Bookable: true })
        {
            return new BookingResult.Unprocessable("Este médico não está disponível para agendamento.");
        }

        var slot = (await ComputeAsync(rules, startsAt.AddDays(-1), startsAt.AddDays(1), withBusy: false, cancellationToken)).FirstOrDefault(s => s.StartsAt == startsAt);
        if (slot is null)
        {
            return new BookingResult.Unprocessable("Horário fora da disponibilidade do médico, da antecedência mínima ou da janela de agendamento.");
        }

        var replacement = new AppointmentRow
        {
            Id = Guid.CreateVersion7(),
            DoctorId = row.DoctorId,
            PatientId = patientId,
            StartsAt = slot.StartsAt,
            EndsAt = slot.EndsAt,
            Status = "scheduled",
            Reason = row.Reason,
            CreatedAt = now,
        };
        var (conflict, moved) = await appointments.RescheduleAsync(appointmentId, replacement,
            slot.StartsAt.AddMinutes(-rules.BufferBeforeMinutes), slot.EndsAt.AddMinutes(rules.BufferAfterMinutes), patientId, now, cancellationToken);
        if (moved)
        {
            // The doctor learns of the new time, and the patient has it in writing.
            await notifications.EnqueueAsync(replacement.Id, NotificationKinds.Rescheduled, row.DoctorId, cancellationToken);
            await notifications.EnqueueAsync(replacement.Id, NotificationKinds.Rescheduled, patientId, cancellationToken);
            return new BookingResult.Booked(replacement);
        }

        if (conflict == BookingConflict.None)
        {
            return new BookingResult.WrongState("Só consultas agendadas podem ser remarcadas.");
        }

        var alternatives = await AlternativesAsync(rules, slot.StartsAt, known: null, cancellationToken, conflict == BookingConflict.PatientBusy ? patientId : null);
        return new BookingResult.Taken(conflict == BookingConflict.PatientBusy ? "Você já tem uma consulta nesse horário." : "Este horário acabou de ser reservado.", alternatives);
    }

    // The next free slots after a taken one, for the 409: usually found the same day, so that day is computed first
    // (from the schedule already read when there is one that covers it) and the two weeks only when it has too few
    // (a contended booking load spent a tenth of a silo's CPU computing two weeks of slots for every 409).
    // When the patient was the one busy (another appointment at that time), slots that overlap the patient's own live
    // appointments are left out: offered, they would be refused the same way.
    private async Task<List<Slot>> AlternativesAsync(
        Availability rules, DateTimeOffset from, ScheduleAround? known, CancellationToken cancellationToken, Guid? busyPatient = null)
    {
        const int Wanted = 5;
        var own = busyPatient is { } patientId
            ? (await appointments.ListAsync(asDoctor: false, patientId, from.AddDays(-1), from.AddDays(15), cancellationToken))
                .Where(a => a.StatusValue is Contracts.AppointmentStatus.Scheduled or Contracts.AppointmentStatus.InProgress).ToList()
            : [];
        bool Free(Slot s) => !own.Any(a => a.StartsAt < s.EndsAt && s.StartsAt < a.EndsAt);

        // The first slots are enough unless some are the patient's own to leave out.
        var sameDay = (known is not null && known.Covers(from)
            ? Compute(rules, known.Blocked, from, from.AddDays(1), known.Busy, own.Count == 0 ? Wanted : int.MaxValue)
            : await ComputeAsync(rules, from, from.AddDays(1), withBusy: true, cancellationToken)).Where(Free).ToList();
        if (sameDay.Count >= Wanted)
        {
            return sameDay.Take(Wanted).ToList();
        }

        return (await ComputeAsync(rules, from, from.AddDays(14), withBusy: true, cancellationToken)).Where(Free).Take(Wanted).ToList();
    }

    private async Task<IReadOnlyList<Slot>> ComputeAsync(Availability rules, DateTimeOffset from, DateTimeOffset to, bool withBusy, CancellationToken cancellationToken)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(rules.TimeZone);
        var firstDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, zone).DateTime).AddDays(-1);
        var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to, zone).DateTime).AddDays(1);
        var blocked = await availability.BlockedDatesAsync(rules.DoctorId, firstDay, lastDay, cancellationToken);
        var busy = withBusy ? await appointments.BusyAsync(rules.DoctorId, from.AddDays(-1), to.AddDays(1), cancellationToken) : [];
        return Compute(rules, blocked, from, to, busy);
    }

    private IReadOnlyList<Slot> Compute(
        Availability rules, IReadOnlySet<DateOnly> blocked, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<BusySpan> busy, int limit = int.MaxValue)
    {
        var now = clock.GetUtcNow();
        var notice = AvailabilityRules.EffectiveNotice(rules.MinimumNoticeMinutes, settings.Value.MinimumNotice);
        var window = TimeSpan.FromDays(rules.BookingWindowDays > 0 ? rules.BookingWindowDays : settings.Value.BookingWindowDays);
        return SlotCalculator.Compute(rules, blocked, from, to, now + notice, now + window, busy, limit);
    }
}
