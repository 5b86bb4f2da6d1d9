using Dapper;
using Telemedicina.Scheduling.Endpoints.Admin;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.IntegrationTests.Scheduling;

/// <summary>An admin's page of the appointment search reads that page, not the whole table sorted.</summary>
public sealed class AdminSearchReadTests() : SchedulingDatabaseTest("admin_search_read")
{
    [Fact]
    public async Task APageOfTheUnfilteredSearch_ReadsAboutThePage_NewestFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        var start = new DateTimeOffset(2030, 1, 7, 0, 0, 0, TimeSpan.Zero);
        await using var connection = await Db.OpenConnectionAsync(ct);

        // 20,000 appointments of every status, one every 10 minutes.
        await connection.ExecuteAsync(
            """
            INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, created_at, updated_at)
            SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), t, t + interval '10 min', t, t + interval '10 min',
                   (ARRAY['scheduled', 'completed', 'cancelled', 'noShow'])[1 + i % 4], now(), now()
            FROM generate_series(0, 19999) i, LATERAL (SELECT @start::timestamptz + i * interval '10 min' AS t) slot
            """,
            new { start });
        await connection.ExecuteAsync("ANALYZE scheduling.appointments");

        var filter = new { doctorId = (Guid?)null, patientId = (Guid?)null, status = (string?)null, from = (DateTimeOffset?)null, to = (DateTimeOffset?)null, offset = 50, limit = 50 };
        var plan = await QueryPlan.AnalyzeAsync(connection, AdminSchedulingEndpoints.SearchSql, filter, ct);
        var read = QueryPlan.RowsRead(plan, "appointments");
        Assert.True(read <= 101, $"The second page of 50 read {read} appointments:\n{plan}");

        var page = await connection.QueryAsync<AppointmentRow>(AdminSchedulingEndpoints.SearchSql, filter);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => start.AddMinutes(10 * (19999 - 50 - i))), page.Select(a => a.StartsAt));
    }
}
