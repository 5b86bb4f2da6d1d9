using Dapper;
using Npgsql;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.Scheduling.Domain;

namespace Telemedicina.Scheduling.Infrastructure;

/// <summary>
/// Reads and replaces doctors' availability rules and blocked dates. Every change is told to the doctor's calendar once
/// committed and before it is answered, so that no booking is decided afterwards on a read made before it.
/// </summary>
internal sealed class AvailabilityStore(NpgsqlDataSource db, BookingCalendar calendar, TimeProvider clock)
{
    private const string RulesSql =
        """
        SELECT doctor_id, time_zone, slot_minutes, buffer_before_minutes, buffer_after_minutes, minimum_notice_minutes, booking_window_days, updated_at
        FROM scheduling.availability WHERE doctor_id = @doctorId;
        SELECT day_of_week, start_minute, end_minute FROM scheduling.weekly_intervals WHERE doctor_id = @doctorId ORDER BY day_of_week, start_minute;
        """;

    /// <summary>The doctor's rules (null when the doctor never published any), in one round trip.</summary>
    public async Task<Availability?> FindAsync(Guid doctorId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ReadMultipleAsync(new CommandDefinition(RulesSql, new { doctorId }, cancellationToken: cancellationToken), ReadRulesAsync);
    }

    /// <summary>
    /// What a booking at <paramref name="instant"/> is decided on, in one round trip: the rules, the days off four
    /// days each side of it (UTC dates: they cover the local days around it in any zone) and the doctor's busy spans
    /// from a day before to two days after it (the slot, its buffers and the rest of its day for the alternatives of
    /// a 409). It serves bookings 12 hours either side of the instant (<see cref="ScheduleAround.Covers"/>). Null when
    /// the doctor has no rules.
    /// </summary>
    public async Task<ScheduleAround?> AroundAsync(Guid doctorId, DateTimeOffset instant, CancellationToken cancellationToken)
    {
        var day = DateOnly.FromDateTime(instant.UtcDateTime);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var command = new CommandDefinition(
            RulesSql + "SELECT date FROM scheduling.blocked_dates WHERE doctor_id = @doctorId AND date BETWEEN @firstDay AND @lastDay;\n" +
            AppointmentStore.BusySql,
            new { doctorId, firstDay = day.AddDays(-4), lastDay = day.AddDays(4), from = instant.AddDays(-1), to = instant.AddDays(2) },
            cancellationToken: cancellationToken);
        return await connection.ReadMultipleAsync<ScheduleAround?>(command, async results =>
        {
            var rules = await ReadRulesAsync(results);
            if (rules is null)
            {
                return null;
            }

            var blocked = (await results.ReadAsync<DateOnly>()).ToHashSet();
            // Kept merged: every booking decided on this read (RecentSchedules) then checks them in one pass.
            var busy = SlotCalculator.Merge((await results.ReadAsync<AppointmentStore.BusyRow>()).Select(r => new BusySpan(r.BlockedFrom, r.BlockedUntil)).ToList());
            return new ScheduleAround(rules, blocked, busy, instant.AddDays(-1), instant.AddDays(2));
        });
    }

    private static async Task<Availability?> ReadRulesAsync(SqlMapper.GridReader results)
    {
        var row = await results.ReadSingleOrDefaultAsync<AvailabilityRow>();
        var weekly = await results.ReadAsync<IntervalRow>();
        return row is null
            ? null
            : new Availability(row.DoctorId, row.TimeZone, row.SlotMinutes, row.BufferBeforeMinutes, row.BufferAfterMinutes,
                row.MinimumNoticeMinutes, row.BookingWindowDays,
                weekly.Select(w => new WeeklyInterval((DayOfWeek)w.DayOfWeek, w.StartMinute, w.EndMinute)).ToList());
    }

    public async Task SaveAsync(Availability availability, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var replaced = await connection.ExecuteScalarAsync<bool>(
            """
            INSERT INTO scheduling.availability (doctor_id, time_zone, slot_minutes, buffer_before_minutes, buffer_after_minutes,
                                                 minimum_notice_minutes, booking_window_days, updated_at)
            VALUES (@DoctorId, @TimeZone, @SlotMinutes, @BufferBeforeMinutes, @BufferAfterMinutes, @MinimumNoticeMinutes, @BookingWindowDays, @now)
            ON CONFLICT (doctor_id) DO UPDATE SET time_zone = excluded.time_zone, slot_minutes = excluded.slot_minutes,
                buffer_before_minutes = excluded.buffer_before_minutes, buffer_after_minutes = excluded.buffer_after_minutes,
                minimum_notice_minutes = excluded.minimum_notice_minutes, booking_window_days = excluded.booking_window_days,
                updated_at = excluded.updated_at
            RETURNING xmax <> 0
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
        // A doctor's first rules replace nothing that a read could hold (a read without rules is not kept).
        if (replaced)
        {
            await calendar.ScheduleChangedAsync(availability.DoctorId);
        }
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
        await calendar.ScheduleChangedAsync(doctorId);
    }

    public async Task<bool> RemoveBlockedAsync(Guid doctorId, DateOnly date, CancellationToken cancellationToken)
    {
        bool removed;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            removed = await connection.ExecuteAsync("DELETE FROM scheduling.blocked_dates WHERE doctor_id = @doctorId AND date = @date", new { doctorId, date }) == 1;
        }

        if (removed)
        {
            await calendar.ScheduleChangedAsync(doctorId);
        }

        return removed;
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

/// <summary>
/// A doctor's schedule around one instant, as read at one moment: rules, days off and the busy spans between
/// <see cref="BusyFrom"/> and <see cref="BusyUntil"/>.
/// </summary>
internal sealed record ScheduleAround(
    Availability Rules, IReadOnlySet<DateOnly> Blocked, IReadOnlyList<BusySpan> Busy, DateTimeOffset BusyFrom, DateTimeOffset BusyUntil)
{
    /// <summary>
    /// True when this read holds everything a booking at <paramref name="startsAt"/> is decided on, alternatives of its
    /// day included: busy spans from 12 hours before it to 36 hours after (a slot and its buffers last at most 8
    /// hours), and days off around it. A read around an instant covers the starts 12 hours either side of it.
    /// </summary>
    public bool Covers(DateTimeOffset startsAt) =>
        BusyFrom <= startsAt - TimeSpan.FromHours(12) && startsAt + TimeSpan.FromHours(36) <= BusyUntil;
}

/// <summary>A day the doctor does not work.</summary>
internal sealed class BlockedDate
{
    public DateOnly Date { get; init; }

    public string? Reason { get; init; }
}
