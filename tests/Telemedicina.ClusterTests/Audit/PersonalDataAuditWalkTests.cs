using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Audit;

/// <summary>
/// Walks every GET endpoint of the API (taken from the OpenAPI document, so a new endpoint fails this
/// test until it is classified): each one that returns personal data must leave an audit entry with
/// the caller as actor; the others are listed with the reason they hold none.
/// </summary>
public sealed class PersonalDataAuditWalkTests(ClusterFixture fixture)
{
    /// <summary>GET endpoints that return no personal data, and why.</summary>
    private static readonly Dictionary<string, string> NotPersonal = new(StringComparer.Ordinal)
    {
        ["/api/v1/scheduling/specialties"] = "catalogue",
        ["/api/v1/admin/specialties"] = "catalogue",
        ["/api/v1/admin/appointments/daily-counts"] = "aggregate counts, no person",
        ["/api/v1/scheduling/doctors"] = "public professional directory (name, specialty) that doctors publish to be booked",
        ["/api/v1/scheduling/doctors/{doctorId}/slots"] = "free times of a doctor's public agenda",
        ["/api/v1/scheduling/doctors/me/availability"] = "the doctor's own working hours",
        ["/api/v1/scheduling/doctors/me/blocked-dates"] = "the doctor's own days off",
        ["/api/v1/calls/ice-servers"] = "short-lived TURN credentials for the caller",
    };

    [Fact]
    public async Task EveryEndpointReturningPersonalData_LeavesAnAuditEntryForTheCaller()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var admin = fixture.Admin;
        var pair = await Scenario.BookedPairAsync(silo1, silo2, admin);
        var (doctor, patient) = (pair.Doctor, pair.Patient);
        var appointmentId = pair.Booked.AppointmentId;
        var call = await silo2.RequestCallAsync(patient, appointmentId);
        var export = await silo2.SendAsync<PrivacyRightsTests.ExportAccepted>(HttpMethod.Post, "/api/v1/privacy/export", null, patient.AccessToken, HttpStatusCode.Accepted);
        await PrivacyRightsTests.WaitReadyAsync(silo2, patient, export.ExportId);
        var incident = await silo1.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/admin/incidents",
            new { title = "Teste", description = "Acesso indevido simulado", discoveredAt = DateTimeOffset.UtcNow, dataCategories = new List<string> { "contato" }, affectedSubjectIds = new List<Guid> { patient.Id } },
            admin.AccessToken, HttpStatusCode.Created);
        var incidentId = incident.GetProperty("id").GetGuid();
        using (var avatar = await Identity.FilesTests.SendFileAsync(silo1, HttpMethod.Put, "/api/v1/identity/me/avatar", Identity.FilesTests.Png, "image/png", patient))
        {
            avatar.EnsureSuccessStatusCode();
        }

        using var uploaded = await Identity.FilesTests.SendFileAsync(silo1, HttpMethod.Post, "/api/v1/identity/doctors/me/documents", Identity.FilesTests.Pdf, "application/pdf", doctor);
        var documentId = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        var personal = new Dictionary<string, (string Path, TestUser Caller)>(StringComparer.Ordinal)
        {
            ["/api/v1/identity/me"] = ("/api/v1/identity/me", patient),
            ["/api/v1/scheduling/appointments"] = ("/api/v1/scheduling/appointments", patient),
            ["/api/v1/scheduling/appointments/{id}"] = ($"/api/v1/scheduling/appointments/{appointmentId}", doctor),
            ["/api/v1/scheduling/appointments/{id}/history"] = ($"/api/v1/scheduling/appointments/{appointmentId}/history", patient),
            ["/api/v1/calls/waiting"] = ("/api/v1/calls/waiting", doctor),
            ["/api/v1/calls/{roomId}"] = ($"/api/v1/calls/{call.RoomId}", doctor),
            ["/api/v1/admin/calls/{roomId}/diagnostics"] = ($"/api/v1/admin/calls/{call.RoomId}/diagnostics", admin),
            ["/api/v1/admin/users"] = ("/api/v1/admin/users", admin),
            ["/api/v1/identity/users/{userId}/avatar"] = ($"/api/v1/identity/users/{patient.Id}/avatar", admin),
            ["/api/v1/identity/doctors/me/documents"] = ("/api/v1/identity/doctors/me/documents", doctor),
            ["/api/v1/admin/doctors/{doctorId}/documents"] = ($"/api/v1/admin/doctors/{doctor.Id}/documents", admin),
            ["/api/v1/admin/doctors/{doctorId}/documents/{documentId}"] = ($"/api/v1/admin/doctors/{doctor.Id}/documents/{documentId}", admin),
            ["/api/v1/admin/appointments"] = ("/api/v1/admin/appointments", admin),
            ["/api/v1/admin/appointments/{id}"] = ($"/api/v1/admin/appointments/{appointmentId}", admin),
            ["/api/v1/admin/incidents"] = ("/api/v1/admin/incidents", admin),
            ["/api/v1/admin/incidents/{id}"] = ($"/api/v1/admin/incidents/{incidentId}", admin),
            ["/api/v1/admin/audit"] = ($"/api/v1/admin/audit?subject={patient.Id}", admin),
            ["/api/v1/admin/audit/export"] = ($"/api/v1/admin/audit/export?subject={patient.Id}", admin),
            ["/api/v1/admin/audit/verify"] = ("/api/v1/admin/audit/verify", admin),
            ["/api/v1/privacy/access-report"] = ("/api/v1/privacy/access-report", patient),
            ["/api/v1/privacy/consents"] = ("/api/v1/privacy/consents", patient),
            ["/api/v1/privacy/exports"] = ("/api/v1/privacy/exports", patient),
            ["/api/v1/privacy/export/{exportId}"] = ($"/api/v1/privacy/export/{export.ExportId}", patient),
            ["/api/v1/privacy/export/{exportId}/download"] = ($"/api/v1/privacy/export/{export.ExportId}/download", patient),
        };

        // Every GET endpoint of the API is classified.
        var gets = (await OpenApiDocument.ApiOperationsAsync(silo1, TestContext.Current.CancellationToken))
            .Where(o => o.Method == "GET").Select(o => o.Template).ToList();
        Assert.True(gets.Count >= 25, $"only {gets.Count} GET endpoints in the OpenAPI document");
        var unclassified = gets.Where(p => !personal.ContainsKey(p) && !NotPersonal.ContainsKey(p)).ToList();
        Assert.True(unclassified.Count == 0, "Classify these GET endpoints (personal data or not): " + string.Join(", ", unclassified));
        var gone = personal.Keys.Concat(NotPersonal.Keys).Where(p => !gets.Contains(p)).ToList();
        Assert.True(gone.Count == 0, "Listed but not in the API: " + string.Join(", ", gone));

        await using var db = new NpgsqlConnection(fixture.Cluster.ConnectionString);
        await db.OpenAsync(TestContext.Current.CancellationToken);
        var missing = new List<string>();
        foreach (var (template, (path, caller)) in personal)
        {
            var before = await db.ExecuteScalarAsync<long>("SELECT coalesce(max(id), 0) FROM audit.entries");
            using var response = await silo1.SendAsync(HttpMethod.Get, path, token: caller.AccessToken);
            Assert.True(response.IsSuccessStatusCode, $"GET {path} as {caller.Role}: {(int)response.StatusCode}");
            await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            var audited = await db.ExecuteScalarAsync<int>(
                "SELECT count(*) FROM audit.entries WHERE id > @before AND actor_id = @actor AND action IN ('read', 'execute')",
                new { before, actor = caller.Id });
            if (audited == 0)
            {
                missing.Add(template);
            }
        }

        Assert.True(missing.Count == 0, "No audit entry for: " + string.Join(", ", missing));
        Figures.Report($"Audit walk: {personal.Count} GET endpoints with personal data each audited; {NotPersonal.Count} classified as holding none");
        await silo2.CallActionAsync(patient, call.RoomId, "cancel");
    }
}
