namespace Telemedicina.Scheduling.Domain;

/// <summary>An interval of a weekday in the doctor's local time, in minutes since local midnight.</summary>
internal sealed record WeeklyInterval(DayOfWeek DayOfWeek, int StartMinute, int EndMinute);

/// <summary>A doctor's availability rules.</summary>
internal sealed record Availability(
    Guid DoctorId,
    string TimeZone,
    int SlotMinutes,
    int BufferBeforeMinutes,
    int BufferAfterMinutes,
    int? MinimumNoticeMinutes,
    int BookingWindowDays,
    IReadOnlyList<WeeklyInterval> Weekly);

/// <summary>A bookable slot, UTC.</summary>
internal sealed record Slot(DateTimeOffset StartsAt, DateTimeOffset EndsAt);

/// <summary>A span of the doctor's time already taken (buffers included), UTC.</summary>
internal sealed record BusySpan(DateTimeOffset From, DateTimeOffset Until);
