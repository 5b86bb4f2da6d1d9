using System.Net;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Identity;

public sealed class DoctorVerificationTests(ClusterFixture fixture)
{
    [Fact]
    public async Task PendingDoctor_IsNotListedAndCannotBeBooked_UntilVerified()
    {
        using var api = fixture.Cluster.Api(0);
        var doctor = await api.RegisterDoctorAsync();
        await api.SetAllDayAvailabilityAsync(doctor);
        var patient = await Scenario.ConsentingPatientAsync(api);

        var listed = await api.SendAsync<Doctor[]>(HttpMethod.Get, "/api/v1/scheduling/doctors", null, patient.AccessToken);
        Assert.DoesNotContain(listed, d => d.DoctorId == doctor.Id);
        using (var slots = await api.SendAsync(HttpMethod.Get, $"/api/v1/scheduling/doctors/{doctor.Id}/slots", token: patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, slots.StatusCode);
        }

        var start = DateTimeOffset.UtcNow.AddHours(3);
        var aligned = new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, 0, 0, TimeSpan.Zero);
        using (var refused = await api.SendAsync(HttpMethod.Post, "/api/v1/scheduling/appointments", new { doctorId = doctor.Id, startsAt = TelemedicinaApi.Iso(aligned) }, patient.AccessToken))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        }

        await api.VerifyDoctorAsync(fixture.Admin, doctor.Id);
        listed = await api.SendAsync<Doctor[]>(HttpMethod.Get, "/api/v1/scheduling/doctors", null, patient.AccessToken);
        Assert.Contains(listed, d => d.DoctorId == doctor.Id);
        Assert.Equal("scheduled", (await api.BookAsync(patient, doctor.Id, aligned)).Status);
    }

    /// <summary>People type names and specialties without accents; the searches of patients and admins ignore them.</summary>
    [Fact]
    public async Task Searches_IgnoreAccents_AsPeopleTypeThem()
    {
        using var api = fixture.Cluster.Api(1);
        var tag = Guid.NewGuid().ToString("N")[..6];
        var doctor = await api.RegisterDoctorAsync($"Dra. Joana Ávila Conceição {tag}");
        await api.VerifyDoctorAsync(fixture.Admin, doctor.Id);
        var patient = await api.RegisterPatientAsync();

        var byName = await api.SendAsync<Doctor[]>(HttpMethod.Get, $"/api/v1/scheduling/doctors?q={Uri.EscapeDataString($"avila conceicao {tag}")}", null, patient.AccessToken);
        Assert.Equal(doctor.Id, Assert.Single(byName).DoctorId);
        var bySpecialty = await api.SendAsync<Doctor[]>(HttpMethod.Get, "/api/v1/scheduling/doctors?specialty=clinica%20medica", null, patient.AccessToken);
        Assert.Contains(bySpecialty, d => d.DoctorId == doctor.Id);
        var byWord = await api.SendAsync<Doctor[]>(HttpMethod.Get, $"/api/v1/scheduling/doctors?q=clinica", null, patient.AccessToken);
        Assert.Contains(byWord, d => d.DoctorId == doctor.Id);

        var users = await api.SendAsync<System.Text.Json.JsonElement>(HttpMethod.Get, $"/api/v1/admin/users?q={Uri.EscapeDataString($"joana avila conceicao {tag}")}", null, fixture.Admin.AccessToken);
        Assert.Equal(1, users.GetProperty("total").GetInt32());
    }

    /// <summary>The admins' search filters by account status: the doctors waiting for verification are the daily queue.</summary>
    [Fact]
    public async Task AdminSearch_FiltersByStatus_AndRefusesAnUnknownOne()
    {
        using var api = fixture.Cluster.Api(0);
        var tag = Guid.NewGuid().ToString("N")[..6];
        var pending = await api.RegisterDoctorAsync($"Dr. Fila {tag} Um");
        var verified = await api.RegisterDoctorAsync($"Dr. Fila {tag} Dois");
        await api.VerifyDoctorAsync(fixture.Admin, verified.Id);

        async Task<Guid[]> FindAsync(string status)
        {
            var page = await api.SendAsync<System.Text.Json.JsonElement>(HttpMethod.Get, $"/api/v1/admin/users?role=doctor&q={tag}&status={status}", null, fixture.Admin.AccessToken);
            return [.. page.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("userId").GetGuid())];
        }

        Assert.Equal([pending.Id], await FindAsync("pendingVerification"));
        Assert.Equal([verified.Id], await FindAsync("active"));
        Assert.Empty(await FindAsync("locked"));

        foreach (var unknown in new[] { "erased", "Active", "x" })
        {
            using var refused = await api.SendAsync(HttpMethod.Get, $"/api/v1/admin/users?status={unknown}", token: fixture.Admin.AccessToken);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
    }

    private sealed record Doctor(Guid DoctorId, string FullName, string Specialty, string TimeZone);
}
