using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Telemedicina.Scheduling;
using Telemedicina.Scheduling.Domain;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.UnitTests.Scheduling;

public sealed class RecentSchedulesTests
{
    // 12:00 UTC: the first start of a 12-hour stretch.
    private static readonly DateTimeOffset Slot = new(2026, 12, 8, 12, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan FreshFor = new SchedulingSettings().RecentReadsFor;

    private static ScheduleAround ReadAround(Guid doctorId, DateTimeOffset instant) => new(
        new Availability(doctorId, "America/Sao_Paulo", 15, 0, 0, 0, 30, [new WeeklyInterval(DayOfWeek.Tuesday, 0, 1440)]),
        new HashSet<DateOnly>(), [], instant.AddDays(-1), instant.AddDays(2));

    private static RecentSchedules Create(TimeProvider clock) => new(clock, Options.Create(new SchedulingSettings()));

    [Fact]
    public void AReadServesItsDoctorsStartsOfTheSameHalfDay_UnderTheRevisionItBeganAfter_ForRecentReadsFor()
    {
        var clock = new FakeTimeProvider(Slot.AddDays(-1));
        var schedules = Create(clock);
        var doctor = Guid.NewGuid();
        var revision = Guid.NewGuid();
        var read = ReadAround(doctor, Slot.AddHours(3));
        var began = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMilliseconds(300));
        schedules.Keep(doctor, Slot.AddHours(3), read, began, revision);

        Assert.Same(read, schedules.Find(doctor, Slot, revision));
        Assert.Same(read, schedules.Find(doctor, Slot.AddHours(11).AddMinutes(45), revision));
        // The same instant written with another offset.
        Assert.Same(read, schedules.Find(doctor, Slot.ToOffset(TimeSpan.FromHours(-3)), revision));
        // Another half day, another doctor, a calendar that announced a change since, or no calendar.
        Assert.Null(schedules.Find(doctor, Slot.AddMinutes(-15), revision));
        Assert.Null(schedules.Find(doctor, Slot.AddHours(12), revision));
        Assert.Null(schedules.Find(Guid.NewGuid(), Slot, revision));
        Assert.Null(schedules.Find(doctor, Slot, Guid.NewGuid()));
        Assert.Null(schedules.Find(doctor, Slot, null));

        clock.Advance(FreshFor - TimeSpan.FromMilliseconds(301));
        Assert.Same(read, schedules.Find(doctor, Slot, revision));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(schedules.Find(doctor, Slot, revision));
    }

    [Fact]
    public void NothingIsKept_WithoutACalendarsRevision_OrWhenRecentReadsAreOff()
    {
        var clock = new FakeTimeProvider(Slot.AddDays(-1));
        var doctor = Guid.NewGuid();
        var revision = Guid.NewGuid();
        var schedules = Create(clock);
        schedules.Keep(doctor, Slot, ReadAround(doctor, Slot), clock.GetUtcNow(), null);
        Assert.Null(schedules.Find(doctor, Slot, revision));

        var off = new RecentSchedules(clock, Options.Create(new SchedulingSettings { RecentReadsFor = TimeSpan.Zero }));
        off.Keep(doctor, Slot, ReadAround(doctor, Slot), clock.GetUtcNow(), revision);
        Assert.Null(off.Find(doctor, Slot, revision));
    }

    [Fact]
    public void AReadBegunEarlier_DoesNotReplaceOneBegunLater()
    {
        var clock = new FakeTimeProvider(Slot.AddDays(-1));
        var schedules = Create(clock);
        var doctor = Guid.NewGuid();
        var revision = Guid.NewGuid();
        var earlier = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromMilliseconds(100));
        var later = ReadAround(doctor, Slot);
        schedules.Keep(doctor, Slot, later, clock.GetUtcNow(), revision);

        schedules.Keep(doctor, Slot.AddHours(1), ReadAround(doctor, Slot.AddHours(1)), earlier, revision);
        Assert.Same(later, schedules.Find(doctor, Slot, revision));

        var newest = ReadAround(doctor, Slot.AddHours(1));
        schedules.Keep(doctor, Slot.AddHours(1), newest, clock.GetUtcNow(), revision);
        Assert.Same(newest, schedules.Find(doctor, Slot, revision));
    }

    [Fact]
    public void ALaterReadReplacesTheEarlierOne_AfterManyOthers()
    {
        var clock = new FakeTimeProvider(Slot.AddDays(-1));
        var schedules = Create(clock);
        var revision = Guid.NewGuid();
        var doctor = Guid.NewGuid();
        for (var i = 0; i < 2000; i++)
        {
            var other = Guid.NewGuid();
            schedules.Keep(other, Slot, ReadAround(other, Slot), clock.GetUtcNow(), revision);
        }

        clock.Advance(FreshFor);
        var newer = ReadAround(doctor, Slot);
        schedules.Keep(doctor, Slot, newer, clock.GetUtcNow(), revision);
        Assert.Same(newer, schedules.Find(doctor, Slot, revision));
    }

    [Fact]
    public void AReadAroundAnInstant_CoversTheStartsTwelveHoursEitherSideOfIt()
    {
        var read = ReadAround(Guid.NewGuid(), Slot);
        Assert.True(read.Covers(Slot));
        Assert.True(read.Covers(Slot.AddHours(-12)));
        Assert.True(read.Covers(Slot.AddHours(12)));
        Assert.False(read.Covers(Slot.AddHours(-12).AddMinutes(-1)));
        Assert.False(read.Covers(Slot.AddHours(12).AddMinutes(1)));
    }
}
