using Npgsql;
using Telemedicina.Bench.Scenarios;

namespace Telemedicina.IntegrationTests.Scheduling;

/// <summary>
/// The benchmark's double-booking check (S4 reports its count, which must be 0) finds overlaps when there are some. The
/// table's exclusion constraints make an overlap impossible to insert, so the test drops them inside a transaction it
/// rolls back, inserts overlapping and touching appointments, and runs the check's query in that transaction.
/// </summary>
public sealed class DoubleBookingCheckTests() : SchedulingDatabaseTest("double_booking_check")
{
    [Fact]
    public async Task TheCheck_CountsEveryAppointmentThatOverlapsAnEarlierOneOfItsDoctor_AndNothingElse()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await Db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await Execute(connection, """
            ALTER TABLE scheduling.appointments DROP CONSTRAINT appointments_no_doctor_overlap;
            ALTER TABLE scheduling.appointments DROP CONSTRAINT appointments_no_patient_overlap
            """, ct);

        var (doctor, other, notAsked) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        var noon = new DateTimeOffset(2031, 5, 6, 12, 0, 0, TimeSpan.Zero);
        var expected = 0;
        async Task Add(Guid doctorId, int fromMinute, int minutes, string status = "scheduled", bool overlaps = false)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, created_at, updated_at)
                VALUES (@id, @doctor, @patient, @from, @until, @from, @until, @status, now(), now())
                """, connection);
            insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
            insert.Parameters.AddWithValue("doctor", doctorId);
            insert.Parameters.AddWithValue("patient", Guid.CreateVersion7());
            insert.Parameters.AddWithValue("from", noon.AddMinutes(fromMinute));
            insert.Parameters.AddWithValue("until", noon.AddMinutes(fromMinute + minutes));
            insert.Parameters.AddWithValue("status", status);
            await insert.ExecuteNonQueryAsync(ct);
            expected += overlaps ? 1 : 0;
        }

        // The doctor: back-to-back slots are fine; a long appointment covers two later ones that do not touch the one
        // just before them; the same slot twice; a call under way over a cancelled appointment is no overlap, but a
        // booking over the call is.
        await Add(doctor, 0, 15);
        await Add(doctor, 15, 15);
        await Add(doctor, 60, 90);
        await Add(doctor, 100, 15, overlaps: true);
        await Add(doctor, 130, 15, overlaps: true);
        await Add(doctor, 200, 15);
        await Add(doctor, 200, 15, overlaps: true);
        await Add(doctor, 240, 30, status: "cancelled");
        await Add(doctor, 250, 15, status: "inProgress");
        await Add(doctor, 260, 15, overlaps: true);
        // Another doctor at the same times: no overlap across doctors.
        await Add(other, 0, 15);
        await Add(other, 100, 15);
        // A doctor the check is not asked about, booked twice.
        await Add(notAsked, 0, 15);
        await Add(notAsked, 5, 15);

        await using var check = new NpgsqlCommand(BookingPlan.DoubleBookingSql, connection);
        check.Parameters.AddWithValue("doctors", new[] { doctor, other });
        var found = (long)(await check.ExecuteScalarAsync(ct))!;

        Assert.Equal(4, expected);
        Assert.Equal(expected, found);
        await transaction.RollbackAsync(ct);
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
