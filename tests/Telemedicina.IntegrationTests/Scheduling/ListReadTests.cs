using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.IntegrationTests.Scheduling;

/// <summary>
/// "My appointments from .. to .." (the agenda of a doctor with twelve consultations a day, a patient's list, a day a
/// doctor blocks) must read the window, not everything the person had before it: a history only grows.
/// </summary>
public sealed class ListReadTests() : SchedulingDatabaseTest("list_read")
{
    [Fact]
    public async Task TheListRead_ReadsOnlyTheWindow_AndReturnsEveryOverlappingAppointmentOfThatPerson_InOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        var doctorId = Guid.CreateVersion7();
        var patientId = Guid.CreateVersion7();
        var otherDoctorId = Guid.CreateVersion7();
        var start = new DateTimeOffset(2031, 1, 6, 0, 0, 0, TimeSpan.Zero);
        string[] statuses = ["scheduled", "completed", "cancelled", "noShow"];
        await using var connection = await Db.OpenConnectionAsync(ct);

        // A year of hourly 30-minute appointments of one doctor with one patient, every status; and another
        // doctor's, with other patients, at the same times.
        await connection.ExecuteAsync(
            """
            INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, created_at, updated_at)
            SELECT gen_random_uuid(), d.doctor, d.patient, t, t + interval '30 min', t - interval '5 min', t + interval '35 min',
                   (@statuses::text[])[1 + i % 4], now(), now()
            FROM generate_series(0, 8759) i, LATERAL (SELECT @start::timestamptz + i * interval '1 hour' AS t) slot,
                 LATERAL (VALUES (@doctorId::uuid, @patientId::uuid), (@otherDoctorId::uuid, gen_random_uuid())) d(doctor, patient)
            """,
            new { doctorId, patientId, otherDoctorId, start, statuses });
        await connection.ExecuteAsync("ANALYZE scheduling.appointments");

        // A window 100 days in: 2,400 of each person's appointments lie before it. The read may look at no more than
        // the window's 73 and the day before it (an appointment spans at most 24 hours): 97 rows of the person's, by
        // the person's time index, or 194 of both doctors', by the time index of all appointments (with two doctors in
        // the table PostgreSQL may rightly prefer that one).
        var from = start.AddDays(100).AddMinutes(10);
        var to = from.AddDays(3);
        foreach (var (sql, personId) in new[] { (AppointmentStore.ListByDoctorSql, doctorId), (AppointmentStore.ListByPatientSql, patientId) })
        {
            var plan = await QueryPlan.AnalyzeAsync(connection, sql, new { personId, from, to, limit = AppointmentStore.ListLimit + 1 }, ct);
            var read = QueryPlan.RowsRead(plan, "appointments");
            Assert.True(read <= 194, $"The list read read {read} appointments for the 73 in the window:\n{plan}");
        }

        var expected = Enumerable.Range(0, 8760)
            .Select(i => (StartsAt: start.AddHours(i), Status: statuses[i % 4]))
            .Where(a => a.StartsAt < to && a.StartsAt.AddMinutes(30) > from)
            .ToList();
        Assert.Equal(73, expected.Count); // 72 hourly starts in the window and the one that runs into it
        var store = new AppointmentStore(Db, new BookingCalendar(null, NullLogger<BookingCalendar>.Instance));
        foreach (var (asDoctor, personId) in new[] { (true, doctorId), (false, patientId) })
        {
            var rows = await store.ListAsync(asDoctor, personId, from, to, ct);
            Assert.Equal(expected.Select(a => a.StartsAt), rows.Select(r => r.StartsAt));
            Assert.Equal(expected.Select(a => a.Status), rows.Select(r => r.Status));
            Assert.All(rows, r => Assert.Equal((doctorId, patientId), (r.DoctorId, r.PatientId)));
        }

        Assert.Empty(await store.ListAsync(asDoctor: true, doctorId, to, from, ct));
    }

    [Fact]
    public async Task AnAppointmentLongerThan24Hours_IsRefusedByTheDatabase()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await Db.OpenConnectionAsync(ct);
        var startsAt = new DateTimeOffset(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);
        const string Insert =
            """
            INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, created_at, updated_at)
            VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), @startsAt, @endsAt, @startsAt, @endsAt, 'scheduled', now(), now())
            """;

        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(Insert, new { startsAt, endsAt = startsAt.AddHours(24).AddMinutes(1) }));
        Assert.Equal((PostgresErrorCodes.CheckViolation, "appointments_span_at_most_a_day"), (error.SqlState, error.ConstraintName));
        Assert.Equal(1, await connection.ExecuteAsync(Insert, new { startsAt, endsAt = startsAt.AddHours(24) }));
    }
}
