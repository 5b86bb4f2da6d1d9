using Dapper;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.IntegrationTests.Scheduling;

/// <summary>
/// The reminder job runs every minute on the whole cluster's appointments. It must read the next day's (the longest
/// reminder lead), not every appointment booked in the booking window.
/// </summary>
public sealed class ReminderReadTests() : SchedulingDatabaseTest("reminder_read")
{
    [Fact]
    public async Task QueueingReminders_ReadsOnlyTheNextDay_AndQueuesEachDueReminderOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2031, 4, 7, 9, 0, 0, TimeSpan.Zero);
        await using var connection = await Db.OpenConnectionAsync(ct);

        // Thirty days of appointments every 10 minutes from now on, booked long before; every fifth one cancelled.
        const int Count = 30 * 144;
        await connection.ExecuteAsync(
            """
            INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, created_at, updated_at)
            SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), t, t + interval '10 min', t, t + interval '10 min',
                   CASE WHEN i % 5 = 0 THEN 'cancelled' ELSE 'scheduled' END, @now - interval '40 days', @now
            FROM generate_series(1, @count) i, LATERAL (SELECT @now::timestamptz + i * interval '10 min' AS t) slot
            """,
            new { now, count = Count });
        await connection.ExecuteAsync("ANALYZE scheduling.appointments");

        var plan = await QueryPlan.AnalyzeAsync(connection, SchedulingJobs.QueueRemindersSql, new { now }, ct);
        var read = QueryPlan.RowsRead(plan, "appointments");
        Assert.True(read <= 144, $"Queueing reminders read {read} appointments for the 144 of the next 24 hours:\n{plan}");

        // Due now: the 24-hour reminder of the live appointments starting in (1 h, 24 h], the 1-hour reminders (patient
        // and doctor) of those starting in (0, 1 h]. Queued once: the next run queues nothing.
        var live = Enumerable.Range(1, Count).Where(i => i % 5 != 0).Select(i => TimeSpan.FromMinutes(10 * i)).ToList();
        var expected = live.Count(s => s > TimeSpan.FromHours(1) && s <= TimeSpan.FromHours(24)) + 2 * live.Count(s => s <= TimeSpan.FromHours(1));
        Assert.Equal(expected, await connection.ExecuteAsync(SchedulingJobs.QueueRemindersSql, new { now }));
        Assert.Equal(0, await connection.ExecuteAsync(SchedulingJobs.QueueRemindersSql, new { now }));
        Assert.Equal(
            [("reminder-1h", 2 * live.Count(s => s <= TimeSpan.FromHours(1))), ("reminder-24h", expected - 2 * live.Count(s => s <= TimeSpan.FromHours(1)))],
            (await connection.QueryAsync<(string, int)>("SELECT kind, count(*)::int FROM scheduling.notifications GROUP BY kind ORDER BY kind")).ToArray());
    }
}
