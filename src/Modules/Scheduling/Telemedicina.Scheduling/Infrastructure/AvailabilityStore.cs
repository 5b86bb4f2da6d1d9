using Dapper;
using Npgsql;
using Telemedicina.Scheduling.Domain;

namespace Telemedicina.Scheduling.Infrastructure;

/// <summary>Reads and replaces doctors' availability rules and blocked dates.</summary>
internal sealed class AvailabilityStore(NpgsqlDataSource db, TimeProvider clock)
{
    public async Task<Availability?> FindAsync(Guid doctorId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<AvailabilityRow>(
            "SELECT * FROM scheduling.availability WHERE doctor_id = @doctorId", new { doctorId });
        if (row is null)
        {
            return null;
        }

        var weekly = await connection.QueryAsync<IntervalRow>(
            "SELECT day_of_week, start_minute, end_minute FROM scheduling.weekly_intervals WHERE doctor_id = @doctorId ORDER BY day_of_week, start_minute",
            new { doctorId });
        return new Availability(row.DoctorId, row.TimeZone, row.SlotMinutes, row.BufferBeforeMinutes, row.BufferAfterMinutes,
            row.MinimumNoticeMinutes, row.BookingWindowDays,
            weekly.Select(w => new WeeklyInterval((DayOfWeek)w.DayOfWeek, w.StartMinute, w.EndMinute)).ToList());
    }

    public async Task SaveAsync(Availability availability, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(
            """
            INSERT INTO scheduling.availability (doctor_id, time_zone, slot_minutes, buffer_before_minutes, buffer_after_minutes,
                                                 minimum_notice_minutes, booking_window_days, updated_at)
            VALUES (@DoctorId, @TimeZone, @SlotMinutes, @BufferBeforeMinutes, @BufferAfterMinutes, @MinimumNoticeMinutes, @BookingWindowDays, @now)
            ON CONFLICT (doctor_id) DO UPDATE SET time_zone = excluded.time_zone, slot_minutes = excluded.slot_minutes,
                buffer_before_minutes = excluded.buffer_before_minutes, buffer_after_minutes = excluded.buffer_after_minutes,
                minimum_notice_minutes = excluded.minimum_notice_minutes, booking_window_days = excluded.booking_window_days,
                updated_at = excluded.updated_at
            """,
            new
            {
                availability.DoctorId, availability.TimeZone, availability.SlotMinutes, availability.BufferBeforeMinutes,
                availability.BufferAfterMinutes, availability.MinimumNoticeMinutes, availability.BookingWindowDays, now = clock.GetUtcNow(),
            },
            tx);
        await connection.ExecuteAsync("DELETE FROM scheduling.weekly_intervals WHERE doctor_id = @DoctorId", new { availability.DoctorId }, tx);
        await connection.ExecuteAsync(
            "INSERT INTO scheduling.weekly_intervals (doctor_id, day_of_week, start_minute, end_minute) VALUES (@DoctorId, @Day, @StartMinute, @EndMinute)",
            availability.Weekly.Select(w => new { availability.DoctorId, Day = (short)w.DayOfWeek, w.StartMinute, w.EndMinute }),
            tx);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlySet<DateOnly>> BlockedDatesAsync(Guid doctorId, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var dates = await connection.QueryAsync<DateOnly>(
            "SELECT date FROM scheduling.blocked_dates WHERE doctor_id = @doctorId AND date BETWEEN @from AND @to",
            new { doctorId, from, to });
        return dates.ToHashSet();
    }

    public async Task<IReadOnlyList<BlockedDate>> ListBlockedAsync(Guid doctorId, DateOnly from, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<BlockedDate>(
            "SELECT date, reason FROM scheduling.blocked_dates WHERE doctor_id = @doctorId AND date >= @from ORDER BY date",
            new { doctorId, from });
        return rows.ToList();
    }

    public async Task AddBlockedAsync(Guid doctorId, DateOnly date, string? reason, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            """
            INSERT INTO scheduling.blocked_dates (doctor_id, date, reason, created_at) VALUES (@doctorId, @date, @reason, @now)
            ON CONFLICT (doctor_id, date) DO UPDATE SET reason = excluded.reason
            """,
            new { doctorId, date, reason, now = clock.GetUtcNow() });
    }

    public async Task<bool> RemoveBlockedAsync(Guid doctorId, DateOnly date, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM scheduling.blocked_dates WHERE doctor_id = @doctorId AND date = @date", new { doctorId, date }) == 1;
    }

    private sealed class AvailabilityRow
    {
        public Guid DoctorId { get; init; }

        public string TimeZone { get; init; } = "";

        public int SlotMinutes { get; init; }

        public int BufferBeforeMinutes { get; init; }

        public int BufferAfterMinutes { get; init; }

        public int? MinimumNoticeMinutes { get; init; }

        public int BookingWindowDays { get; init; }

        public DateTimeOffset UpdatedAt { get; init; }
    }

    private sealed class IntervalRow
    {
        public short DayOfWeek { get; init; }

        public int StartMinute { get; init; }

        public int EndMinute { get; init; }
    }
}

/// <summary>A day the doctor does not work.</summary>
internal sealed class BlockedDate
{
    public DateOnly Date { get; init; }

    public string? Reason { get; init; }
}
