using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.IntegrationTests.Scheduling;

/// <summary>
/// Every booking and every slot listing reads the doctor's busy spans around the wanted time. That read must be served
/// by an index on the time range, not by reading every appointment the doctor ever had: a doctor's history only grows.
/// </summary>
public sealed class BusyReadTests() : SchedulingDatabaseTest("busy_read")
{
    [Fact]
    public async Task TheBusyRead_SearchesTheTimeRangeInAnIndex_AndFindsExactlyTheOverlappingLiveSpans()
    {
        var ct = TestContext.Current.CancellationToken;
        var doctorId = Guid.CreateVersion7();
        var start = new DateTimeOffset(2031, 1, 6, 0, 0, 0, TimeSpan.Zero);
        await using var connection = await Db.OpenConnectionAsync(ct);

        // A year of 30-minute appointments with 5-minute buffers, every other one cancelled.
        await connection.ExecuteAsync(
            """
            INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, created_at, updated_at)
            SELECT gen_random_uuid(), @doctorId, gen_random_uuid(), t, t + interval '30 min', t - interval '5 min', t + interval '35 min',
                   CASE WHEN i % 2 = 0 THEN 'scheduled' ELSE 'cancelled' END, now(), now()
            FROM generate_series(0, 8759) i, LATERAL (SELECT @start::timestamptz + i * interval '1 hour' AS t) slot
            """,
            new { doctorId, start });
        await connection.ExecuteAsync("ANALYZE scheduling.appointments");

        // The plan, with sequential scans priced out: only an index that can search the range may carry the condition.
        var from = start.AddDays(100).AddMinutes(10);
        var to = from.AddDays(3);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync("SET LOCAL enable_seqscan = off", transaction: tx);
        var plan = string.Join('\n', await connection.QueryAsync<string>("EXPLAIN " + AppointmentStore.BusySql, new { doctorId, from, to }, tx));
        await tx.RollbackAsync(ct);
        Assert.Contains("appointments_no_doctor_overlap", plan, StringComparison.Ordinal);
        Assert.Matches(@"Index Cond: \(\(doctor_id = .*&&", plan);

        // 72 hourly starts fall in the window plus the one whose span reaches into it; the live half of them.
        var store = new AppointmentStore(Db, new BookingCalendar(null, NullLogger<BookingCalendar>.Instance));
        var busy = await store.BusyAsync(doctorId, from, to, ct);
        var expected = Enumerable.Range(0, 8760)
            .Where(i => i % 2 == 0)
            .Select(i => (From: start.AddHours(i).AddMinutes(-5), Until: start.AddHours(i).AddMinutes(35)))
            .Where(s => s.From < to && s.Until > from)
            .ToList();
        Assert.Equal(expected.Count, busy.Count);
        Assert.Equal(expected.Select(s => s.From).Order(), busy.Select(b => b.From).Order());
        Assert.Empty(await store.BusyAsync(doctorId, to, from, ct));
    }
}
