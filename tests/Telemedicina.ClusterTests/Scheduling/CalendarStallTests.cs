using System.Net;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Scheduling;

/// <summary>
/// A doctor's calendar grain only answers lost races early; bookings must not depend on it. With every call to the
/// calendars held inside them longer than the test client's 30 s HTTP timeout (<c>Faults:StallCalendars</c>, as an
/// activation on a dying silo may not answer), booking, the database's refusal of a taken slot, cancelling and booking
/// the freed slot again all go on without them.
/// </summary>
public sealed class CalendarStallTests
{
    [Fact]
    public async Task BookingsAndCancellations_GoOnWithoutACalendarThatDoesNotAnswer()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 1, new Dictionary<string, string> { ["Faults__StallCalendars"] = "00:00:40" });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var doctor = await Scenario.VerifiedDoctorAsync(api, admin);
        var first = await Scenario.ConsentingPatientAsync(api);
        var second = await Scenario.ConsentingPatientAsync(api);
        var slot = (await api.SlotsAsync(first, doctor.Id, DateTimeOffset.UtcNow.AddHours(5), DateTimeOffset.UtcNow.AddHours(9)))[0];

        var booked = await api.BookAsync(first, doctor.Id, slot.StartsAt);
        Assert.Equal(HttpStatusCode.Conflict, await api.BookingStatusAsync(second, doctor.Id, slot.StartsAt));

        var cancelled = await api.SendAsync<Appointment>(HttpMethod.Post, $"/api/v1/scheduling/appointments/{booked.AppointmentId}/cancel",
            new { reason = "imprevisto" }, doctor.AccessToken);
        Assert.Equal("cancelled", cancelled.Status);
        var rebooked = await api.BookAsync(second, doctor.Id, slot.StartsAt);
        Assert.Equal(slot.StartsAt, rebooked.StartsAt);
    }
}
