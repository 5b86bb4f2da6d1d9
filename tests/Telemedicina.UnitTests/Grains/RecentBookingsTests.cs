using Telemedicina.Grains;

namespace Telemedicina.UnitTests.Grains;

public sealed class RecentBookingsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Slot = new(2026, 12, 8, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AHeldStart_IsRefusedToOthers_UntilItsBookingFails()
    {
        var recent = new RecentBookings();
        var first = Guid.NewGuid();
        Assert.True(recent.TryHold(Slot, first, Now));
        Assert.False(recent.TryHold(Slot, Guid.NewGuid(), Now));
        // The same instant written with another offset is the same slot.
        Assert.False(recent.TryHold(Slot.ToOffset(TimeSpan.FromHours(-3)), Guid.NewGuid(), Now));
        // Another start of the same doctor is free.
        Assert.True(recent.TryHold(Slot.AddMinutes(15), Guid.NewGuid(), Now));

        recent.Settle(first, booked: false, Now.AddMilliseconds(5));
        Assert.True(recent.TryHold(Slot, Guid.NewGuid(), Now.AddMilliseconds(6)));
    }

    [Fact]
    public void ABookedStart_IsRefusedForAMinute_OrUntilForgotten()
    {
        var recent = new RecentBookings();
        var hold = Guid.NewGuid();
        Assert.True(recent.TryHold(Slot, hold, Now));
        recent.Settle(hold, booked: true, Now);

        Assert.False(recent.TryHold(Slot, Guid.NewGuid(), Now + RecentBookings.KeepBookedFor - TimeSpan.FromSeconds(1)));
        Assert.True(recent.TryHold(Slot, Guid.NewGuid(), Now + RecentBookings.KeepBookedFor));

        var again = Guid.NewGuid();
        var later = Now.AddMinutes(5);
        Assert.True(recent.TryHold(Slot.AddHours(1), again, later));
        recent.Settle(again, booked: true, later);
        recent.Forget(Slot.AddHours(1).ToOffset(TimeSpan.FromHours(-3)));
        Assert.True(recent.TryHold(Slot.AddHours(1), Guid.NewGuid(), later));
    }

    [Fact]
    public void AnExpiredHold_FreesTheStart_AndItsLateSettlementLeavesTheNextHoldAlone()
    {
        var recent = new RecentBookings();
        var stale = Guid.NewGuid();
        Assert.True(recent.TryHold(Slot, stale, Now));
        Assert.False(recent.TryHold(Slot, Guid.NewGuid(), Now + RecentBookings.HoldFor - TimeSpan.FromSeconds(1)));

        var next = Guid.NewGuid();
        var expired = Now + RecentBookings.HoldFor;
        Assert.True(recent.TryHold(Slot, next, expired));
        // The first booking ends late (its silo was slow): neither a failure nor a success of it may touch the new hold.
        recent.Settle(stale, booked: false, expired);
        Assert.False(recent.TryHold(Slot, Guid.NewGuid(), expired));
        recent.Settle(stale, booked: true, expired);
        recent.Settle(next, booked: false, expired);
        Assert.True(recent.TryHold(Slot, Guid.NewGuid(), expired));
    }

    [Fact]
    public void ExpiredEntries_AreSweptWhenTheirNumberHasDoubled_LiveOnesStay()
    {
        var recent = new RecentBookings();
        for (var i = 0; i < 600; i++)
        {
            var hold = Guid.NewGuid();
            recent.TryHold(Slot.AddMinutes(15 * i), hold, Now);
            recent.Settle(hold, booked: true, Now);
        }

        // The sweep at 512 entries found nothing expired: the next one waits for 1,024.
        Assert.True(recent.TryHold(Slot.AddYears(1), Guid.NewGuid(), Now.AddSeconds(45)));
        Assert.Equal(601, recent.Count);

        // A minute later the 600 booked starts have expired; they stay counted until the entries number 1,024.
        var later = Now + RecentBookings.KeepBookedFor;
        for (var i = 0; i < 423; i++)
        {
            Assert.True(recent.TryHold(Slot.AddYears(2).AddMinutes(15 * i), Guid.NewGuid(), later));
        }

        Assert.Equal(1024, recent.Count);
        Assert.True(recent.TryHold(Slot.AddYears(3), Guid.NewGuid(), later));
        Assert.Equal(425, recent.Count);
        Assert.False(recent.TryHold(Slot.AddYears(1), Guid.NewGuid(), later));
    }

    [Fact]
    public void TheStartsKnownTaken_AreTheLiveOnesInTheRange()
    {
        var recent = new RecentBookings();
        var booked = Guid.NewGuid();
        recent.TryHold(Slot, booked, Now);
        recent.Settle(booked, booked: true, Now);
        recent.TryHold(Slot.AddMinutes(30), Guid.NewGuid(), Now);
        recent.TryHold(Slot.AddHours(-1), Guid.NewGuid(), Now);
        recent.TryHold(Slot.AddDays(1), Guid.NewGuid(), Now);
        var released = Guid.NewGuid();
        recent.TryHold(Slot.AddMinutes(45), released, Now);
        recent.Settle(released, booked: false, Now);

        Assert.Equal([Slot, Slot.AddMinutes(30)], recent.TakenBetween(Slot, Slot.AddDays(1), Now).Order());
        // Past the holds' expiry only the booked start is left; past its own, nothing.
        Assert.Equal([Slot], recent.TakenBetween(Slot, Slot.AddDays(1), Now + RecentBookings.HoldFor));
        Assert.Empty(recent.TakenBetween(Slot, Slot.AddDays(1), Now + RecentBookings.KeepBookedFor));
    }
}
