using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.IntegrationTests.Scheduling;

/// <summary>
/// The booking store against a real PostgreSQL when many transactions insert one slot at the same moment.
/// Two inserters of conflicting rows that both reach the exclusion constraint's check before either commits each
/// wait for the other, and PostgreSQL breaks the tie with a deadlock error (40P01) after deadlock_timeout: the API
/// answered that booking 503 (a CI run of the HTTP fuzzing met one). The store now takes the doctor's and the
/// patient's advisory locks first, so conflicting inserts run one after the other, and the loser's insert does
/// nothing (ON CONFLICT DO NOTHING): a plain conflict, without an error.
/// </summary>
public sealed class ConcurrentInsertTests() : SchedulingDatabaseTest("booking_race")
{
    [Fact]
    public async Task SimultaneousInsertsOfOneSlot_EachRound_OneWinsAndTheOthersConflict_NoDeadlockEscapes()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = new AppointmentStore(Db, new BookingCalendar(null, NullLogger<BookingCalendar>.Instance));
        var doctorId = Guid.CreateVersion7();
        var patients = Enumerable.Range(0, 4).Select(_ => Guid.CreateVersion7()).ToArray();
        var day = new DateTimeOffset(2031, 5, 6, 12, 0, 0, TimeSpan.Zero);
        const int Rounds = 12, Inserters = 24;
        var outcomes = new Dictionary<string, int>();

        for (var round = 0; round < Rounds; round++)
        {
            // Every inserter has its connection ready, then all are released together, as bursts of bookings are.
            var startsAt = day.AddHours(round);
            using var go = new SemaphoreSlim(0);
            var attempts = Enumerable.Range(0, Inserters).Select(async i =>
            {
                // Half of them are the same few patients, so both exclusion constraints are raced.
                var row = new AppointmentRow
                {
                    Id = Guid.CreateVersion7(),
                    DoctorId = doctorId,
                    PatientId = i % 2 == 0 ? patients[i % patients.Length] : Guid.CreateVersion7(),
                    StartsAt = startsAt,
                    EndsAt = startsAt.AddMinutes(30),
                    Status = "scheduled",
                    CreatedAt = DateTimeOffset.UtcNow,
                };
                await go.WaitAsync(ct);
                try
                {
                    return (await store.InsertAsync(row, startsAt.AddMinutes(-5), startsAt.AddMinutes(35), ct)).ToString();
                }
                catch (PostgresException e)
                {
                    return e.SqlState;
                }
            }).ToList();
            go.Release(Inserters);
            foreach (var outcome in await Task.WhenAll(attempts))
            {
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }

        var summary = string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}"));
        Assert.True(
            outcomes.Keys.All(k => k is nameof(BookingConflict.None) or nameof(BookingConflict.DoctorBusy) or nameof(BookingConflict.PatientBusy)),
            "Every insert either booked or conflicted; got " + summary);
        Assert.True(outcomes.GetValueOrDefault(nameof(BookingConflict.None)) == Rounds, $"One insert per round booked; got {summary}");

        // The booking, its history entry, the doctor's notification and the patient's confirmation commit together, and
        // a refused insert leaves none of them.
        await using var connection = await Db.OpenConnectionAsync(ct);
        var counts = await Dapper.SqlMapper.QuerySingleAsync<(long Appointments, long History, long ToDoctor, long ToPatient)>(connection,
            """
            SELECT (SELECT count(*) FROM scheduling.appointments WHERE doctor_id = @doctorId),
                   (SELECT count(*) FROM scheduling.appointment_history h JOIN scheduling.appointments a ON a.id = h.appointment_id
                     WHERE a.doctor_id = @doctorId AND h.what = 'booked' AND h.by_user_id = a.patient_id),
                   (SELECT count(*) FROM scheduling.notifications n JOIN scheduling.appointments a ON a.id = n.appointment_id
                     WHERE a.doctor_id = @doctorId AND n.kind = 'booked' AND n.recipient_id = @doctorId),
                   (SELECT count(*) FROM scheduling.notifications n JOIN scheduling.appointments a ON a.id = n.appointment_id
                     WHERE a.doctor_id = @doctorId AND n.kind = 'booked' AND n.recipient_id = a.patient_id)
            """,
            new { doctorId });
        Assert.Equal((Rounds, Rounds, Rounds, Rounds), counts);
    }

    /// <summary>
    /// A refused insert says whose the conflict is (the answer's text depends on it), leaves no row, and does not
    /// keep the patient from booking elsewhere; a cancelled appointment blocks nothing.
    /// </summary>
    [Fact]
    public async Task ARefusedInsert_SaysWhetherTheDoctorOrThePatientIsBusy_AndLeavesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = new AppointmentStore(Db, new BookingCalendar(null, NullLogger<BookingCalendar>.Instance));
        Guid doctorA = Guid.CreateVersion7(), doctorB = Guid.CreateVersion7(), patient = Guid.CreateVersion7(), other = Guid.CreateVersion7();
        var at = new DateTimeOffset(2031, 6, 2, 13, 0, 0, TimeSpan.Zero);

        Task<BookingConflict> Book(Guid doctorId, Guid patientId, DateTimeOffset startsAt, Guid? id = null) => store.InsertAsync(new AppointmentRow
        {
            Id = id ?? Guid.CreateVersion7(),
            DoctorId = doctorId,
            PatientId = patientId,
            StartsAt = startsAt,
            EndsAt = startsAt.AddMinutes(30),
            Status = "scheduled",
            CreatedAt = DateTimeOffset.UtcNow,
        }, startsAt, startsAt.AddMinutes(30), ct);

        var first = Guid.CreateVersion7();
        Assert.Equal(BookingConflict.None, await Book(doctorA, patient, at, first));
        Assert.Equal(BookingConflict.DoctorBusy, await Book(doctorA, other, at.AddMinutes(15)));
        Assert.Equal(BookingConflict.PatientBusy, await Book(doctorB, patient, at.AddMinutes(15)));
        Assert.Equal(BookingConflict.None, await Book(doctorB, patient, at.AddMinutes(30)));
        Assert.Equal(BookingConflict.None, await Book(doctorB, other, at));

        await using var connection = await Db.OpenConnectionAsync(ct);
        var rows = await Dapper.SqlMapper.QuerySingleAsync<(long Appointments, long History, long Notifications)>(connection,
            """
            SELECT (SELECT count(*) FROM scheduling.appointments WHERE doctor_id IN (@doctorA, @doctorB)),
                   (SELECT count(*) FROM scheduling.appointment_history h JOIN scheduling.appointments a ON a.id = h.appointment_id
                     WHERE a.doctor_id IN (@doctorA, @doctorB)),
                   (SELECT count(*) FROM scheduling.notifications WHERE recipient_id IN (@doctorA, @doctorB))
            """,
            new { doctorA, doctorB });
        Assert.Equal((3L, 3L, 3L), rows);

        // Once the first appointment is cancelled, its slot is free for the doctor and the patient alike.
        await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE scheduling.appointments SET status = 'cancelled' WHERE id = @first", new { first });
        Assert.Equal(BookingConflict.None, await Book(doctorA, Guid.CreateVersion7(), at.AddMinutes(15)));
        Assert.Equal(BookingConflict.None, await Book(doctorA, patient, at.AddHours(2)));
    }
}
