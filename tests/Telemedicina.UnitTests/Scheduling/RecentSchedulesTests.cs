using Microsoft.Extensions.Time.Testing;
using Telemedicina.Scheduling.Domain;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.UnitTests.Scheduling;

public sealed class RecentSchedulesTests
{
    private static readonly DateTimeOffset Slot = new(2026, 12, 8, 12, 0, 0, TimeSpan.Zero);

    private static ScheduleAround ReadAround(Guid doctorId, DateTimeOffset instant) => new(
        new Availability(doctorId, "America/Sao_Paulo", 15, 0, 0, 0, 30, [new WeeklyInterval(DayOfWeek.Tuesday, 0, 1440)]),
        new HashSet<DateOnly>(), [], instant.AddDays(-1), instant.AddDays(2));

    [Fact]
    public void AReadServesItsDoctorsSlot_ForTwoSecondsFromWhenItBegan()
    {
        var clock = new FakeTimeProvider(Slot.AddDays(-1));
        var schedules = new RecentSchedules(clock);
        var doctor = Guid.NewGuid();
        var read = ReadAround(doctor, Slot);
        var began = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMilliseconds(300));
        schedules.Keep(doctor, Slot, read, began);

        Assert.Same(read, schedules.Find(doctor, Slot));
        // The same instant written with another offset; not another slot, nor another doctor.
        Assert.Same(read, schedules.Find(doctor, Slot.ToOffset(TimeSpan.FromHours(-3))));
        Assert.Null(schedules.Find(doctor, Slot.AddMinutes(15)));
        Assert.Null(schedules.Find(Guid.NewGuid(), Slot));

        clock.Advance(RecentSchedules.FreshFor - TimeSpan.FromMilliseconds(301));
        Assert.Same(read, schedules.Find(doctor, Slot));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(schedules.Find(doctor, Slot));
    }

    [Fact]
    public void ALaterReadOfASlotReplacesTheEarlierOne_AfterManyOthers()
    {
        var clock = new FakeTimeProvider(Slot.AddDays(-1));
        var schedules = new RecentSchedules(clock);
        var doctor = Guid.NewGuid();
        for (var i = 0; i < 2000; i++)
        {
            schedules.Keep(doctor, Slot.AddMinutes(15 * i), ReadAround(doctor, Slot.AddMinutes(15 * i)), clock.GetUtcNow());
        }

        clock.Advance(RecentSchedules.FreshFor);
        var newer = ReadAround(doctor, Slot);
        schedules.Keep(doctor, Slot, newer, clock.GetUtcNow());
        Assert.Same(newer, schedules.Find(doctor, Slot));
        Assert.Null(schedules.Find(doctor, Slot.AddMinutes(15)));
    }
}
