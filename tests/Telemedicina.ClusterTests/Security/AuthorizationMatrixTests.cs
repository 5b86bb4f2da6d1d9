using System.Net;
using System.Text.Json;
using Telemedicina.ClusterTests.Audit;
using Telemedicina.ClusterTests.Identity;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Security;

/// <summary>
/// The IDOR matrix: every operation of the API (read from the OpenAPI document, so a new endpoint
/// fails this test until it is classified here) is called by six principals against real resources
/// that a patient and a doctor own: anonymous, the owning patient, another patient, the owning
/// doctor, another doctor and an admin. Each cell asserts the contract's answer: 401 without a
/// token, 403 for the wrong role, 404 (never a hint that it exists) for a stranger's resource, and
/// admission for the owner. Strangers go first, so a hole would act on the untouched resource.
/// </summary>
public sealed class AuthorizationMatrixTests(ClusterFixture fixture)
{
    private enum Who
    {
        Anonymous,
        Patient,
        OtherPatient,
        Doctor,
        OtherDoctor,
        Admin,
    }

    /// <summary>What a cell must answer.</summary>
    private enum Outcome
    {
        /// <summary>Past authorization: any answer but 401, 403, 404 and 5xx (validation and state errors are fine).</summary>
        Allowed,

        Unauthorized,
        Forbidden,
        NotFound,
    }

    // Strangers first, owners last: a missing check would show on a resource nobody has changed yet.
    private static readonly Who[] Order = [Who.Anonymous, Who.OtherPatient, Who.OtherDoctor, Who.Admin, Who.Patient, Who.Doctor];

    private const string BlockedDate = "2099-01-01";

    private const Outcome A = Outcome.Allowed;
    private const Outcome U = Outcome.Unauthorized;
    private const Outcome F = Outcome.Forbidden;
    private const Outcome N = Outcome.NotFound;

    //                                               anonymous patient otherPatient doctor otherDoctor admin
    private static readonly Outcome[] Public = [A, A, A, A, A, A];
    private static readonly Outcome[] AnyUser = [U, A, A, A, A, A];
    private static readonly Outcome[] PatientOnly = [U, A, A, F, F, F];
    private static readonly Outcome[] DoctorOnly = [U, F, F, A, A, F];
    private static readonly Outcome[] AdminOnly = [U, F, F, F, F, A];
    private static readonly Outcome[] Parties = [U, A, N, A, N, N];
    private static readonly Outcome[] PatientsOwn = [U, A, N, N, N, N];

    /// <summary>
    /// Every operation of the API, in the order the cells run (reads before the changes that could
    /// hide them), with the request to send and the expected outcome per principal.
    /// </summary>
    private static readonly (string Operation, Func<Resources, string> Path, Func<Resources, object?> Body, Outcome[] Cells)[] Matrix =
    [
        // Identity: the public doors (empty bodies: refused by validation, never by authorization).
        ("POST /api/v1/identity/register", _ => "/api/v1/identity/register", _ => new { }, Public),
        ("POST /api/v1/identity/login", _ => "/api/v1/identity/login", _ => new { }, Public),
        ("POST /api/v1/identity/login/2fa", _ => "/api/v1/identity/login/2fa", _ => new { }, Public),
        ("POST /api/v1/identity/refresh", _ => "/api/v1/identity/refresh", _ => new { }, Public),
        ("POST /api/v1/identity/logout", _ => "/api/v1/identity/logout", _ => new { }, Public),
        ("POST /api/v1/identity/confirm-email", _ => "/api/v1/identity/confirm-email", _ => new { }, Public),
        ("POST /api/v1/identity/confirm-email/resend", _ => "/api/v1/identity/confirm-email/resend", _ => new { }, Public),
        ("POST /api/v1/identity/password/forgot", _ => "/api/v1/identity/password/forgot", _ => new { }, Public),
        ("POST /api/v1/identity/password/reset", _ => "/api/v1/identity/password/reset", _ => new { }, Public),

        // Identity: the caller's own account.
        ("GET /api/v1/identity/me", _ => "/api/v1/identity/me", _ => null, AnyUser),
        ("POST /api/v1/identity/hub-ticket", _ => "/api/v1/identity/hub-ticket", _ => null, AnyUser),
        ("POST /api/v1/identity/password/change", _ => "/api/v1/identity/password/change", _ => new { }, AnyUser),
        ("POST /api/v1/identity/2fa/setup", _ => "/api/v1/identity/2fa/setup", _ => null, AnyUser),
        ("POST /api/v1/identity/2fa/enable", _ => "/api/v1/identity/2fa/enable", _ => new { code = "000000" }, AnyUser),
        // Admins may not drop their second factor at all.
        ("POST /api/v1/identity/2fa/disable", _ => "/api/v1/identity/2fa/disable", _ => new { password = "nao-e-a-senha" }, [U, A, A, A, A, F]),
        // A patient's avatar: the patient and admins only; before the DELETE below removes it.
        ("GET /api/v1/identity/users/{userId}/avatar", r => $"/api/v1/identity/users/{r.Patient.Id}/avatar", _ => null, [U, A, N, N, N, A]),
        ("PUT /api/v1/identity/me/avatar", _ => "/api/v1/identity/me/avatar", _ => new { }, AnyUser),
        ("DELETE /api/v1/identity/me/avatar", _ => "/api/v1/identity/me/avatar", _ => null, AnyUser),
        ("GET /api/v1/identity/doctors/me/documents", _ => "/api/v1/identity/doctors/me/documents", _ => null, DoctorOnly),
        ("POST /api/v1/identity/doctors/me/documents", _ => "/api/v1/identity/doctors/me/documents", _ => new { }, DoctorOnly),

        // Identity: administration.
        ("GET /api/v1/admin/users", _ => "/api/v1/admin/users", _ => null, AdminOnly),
        ("POST /api/v1/admin/doctors/{id}/verify", r => $"/api/v1/admin/doctors/{r.OtherDoctor.Id}/verify", _ => null, AdminOnly),
        ("POST /api/v1/admin/users/{id}/lock", r => $"/api/v1/admin/users/{r.Victim.Id}/lock", _ => null, AdminOnly),
        ("POST /api/v1/admin/users/{id}/unlock", r => $"/api/v1/admin/users/{r.Victim.Id}/unlock", _ => null, AdminOnly),
        ("POST /api/v1/admin/users/{id}/reset-2fa", r => $"/api/v1/admin/users/{r.Victim.Id}/reset-2fa", _ => null, AdminOnly),
        ("GET /api/v1/admin/doctors/{doctorId}/documents", r => $"/api/v1/admin/doctors/{r.Doctor.Id}/documents", _ => null, AdminOnly),
        ("GET /api/v1/admin/doctors/{doctorId}/documents/{documentId}", r => $"/api/v1/admin/doctors/{r.Doctor.Id}/documents/{r.DocumentId}", _ => null, AdminOnly),
        ("POST /api/v1/admin/ops-session", _ => "/api/v1/admin/ops-session", _ => null, AdminOnly),

        // Scheduling: directory and the doctor's own agenda.
        ("GET /api/v1/scheduling/specialties", _ => "/api/v1/scheduling/specialties", _ => null, Public),
        ("GET /api/v1/scheduling/doctors", _ => "/api/v1/scheduling/doctors", _ => null, AnyUser),
        ("GET /api/v1/scheduling/doctors/{doctorId}/slots", r => $"/api/v1/scheduling/doctors/{r.Doctor.Id}/slots", _ => null, AnyUser),
        ("GET /api/v1/scheduling/doctors/me/availability", _ => "/api/v1/scheduling/doctors/me/availability", _ => null, DoctorOnly),
        ("PUT /api/v1/scheduling/doctors/me/availability", _ => "/api/v1/scheduling/doctors/me/availability", _ => new { }, DoctorOnly),
        ("GET /api/v1/scheduling/doctors/me/blocked-dates", _ => "/api/v1/scheduling/doctors/me/blocked-dates", _ => null, DoctorOnly),
        ("POST /api/v1/scheduling/doctors/me/blocked-dates", _ => "/api/v1/scheduling/doctors/me/blocked-dates", _ => new { }, DoctorOnly),
        ("DELETE /api/v1/scheduling/doctors/me/blocked-dates/{date}", _ => $"/api/v1/scheduling/doctors/me/blocked-dates/{BlockedDate}", _ => null, DoctorOnly),

        // Scheduling: the appointment the patient booked with the doctor.
        ("GET /api/v1/scheduling/appointments", _ => "/api/v1/scheduling/appointments", _ => null, AnyUser),
        ("GET /api/v1/scheduling/appointments/{id}", r => $"/api/v1/scheduling/appointments/{r.AppointmentId}", _ => null, Parties),
        ("GET /api/v1/scheduling/appointments/{id}/history", r => $"/api/v1/scheduling/appointments/{r.AppointmentId}/history", _ => null, Parties),

        // Calls: the call the patient opened on that appointment. A stranger names the appointment in the body or the query.
        ("POST /api/v1/calls", _ => "/api/v1/calls", r => new { appointmentId = r.AppointmentId }, [U, A, N, F, F, F]),
        ("GET /api/v1/calls/ice-servers", r => $"/api/v1/calls/ice-servers?appointmentId={r.AppointmentId}", _ => null, Parties),
        ("GET /api/v1/calls/waiting", _ => "/api/v1/calls/waiting", _ => null, DoctorOnly),
        ("GET /api/v1/calls/{roomId}", r => $"/api/v1/calls/{r.RoomId}", _ => null, Parties),
        ("GET /api/v1/admin/calls/{roomId}/diagnostics", r => $"/api/v1/admin/calls/{r.RoomId}/diagnostics", _ => null, AdminOnly),
        ("POST /api/v1/calls/{roomId}/quality", r => $"/api/v1/calls/{r.RoomId}/quality", _ => new { roundTripTimeMs = 20.0 }, Parties),
        ("POST /api/v1/calls/{roomId}/accept", r => $"/api/v1/calls/{r.RoomId}/accept", _ => null, [U, F, F, A, N, F]),
        ("POST /api/v1/calls/{roomId}/reject", r => $"/api/v1/calls/{r.RoomId}/reject", _ => null, [U, F, F, A, N, F]),
        // Only the caller cancels: the doctor is a party (403), everyone else a stranger (404).
        ("POST /api/v1/calls/{roomId}/cancel", r => $"/api/v1/calls/{r.RoomId}/cancel", _ => null, [U, A, N, F, N, N]),
        ("POST /api/v1/calls/{roomId}/end", r => $"/api/v1/calls/{r.RoomId}/end", _ => new { reason = "hangup" }, Parties),

        // Scheduling: changes to the appointment, last (they move or cancel it). Valid bodies, so only ownership can refuse.
        ("POST /api/v1/scheduling/appointments", _ => "/api/v1/scheduling/appointments", _ => new { }, PatientOnly),
        ("POST /api/v1/scheduling/appointments/{id}/reschedule", r => $"/api/v1/scheduling/appointments/{r.AppointmentId}/reschedule", r => new { startsAt = r.RescheduleTo }, [U, A, N, F, F, F]),
        ("POST /api/v1/scheduling/appointments/{id}/cancel", r => $"/api/v1/scheduling/appointments/{r.AppointmentId}/cancel", _ => new { reason = "Teste de autorização" }, Parties),

        // Scheduling: administration.
        ("GET /api/v1/admin/specialties", _ => "/api/v1/admin/specialties", _ => null, AdminOnly),
        ("POST /api/v1/admin/specialties", _ => "/api/v1/admin/specialties", _ => new { name = "Especialidade " + Guid.NewGuid().ToString("N")[..8] }, AdminOnly),
        ("PUT /api/v1/admin/specialties/{id}", r => $"/api/v1/admin/specialties/{r.SpecialtyId}", _ => new { name = "Especialidade " + Guid.NewGuid().ToString("N")[..8], active = true }, AdminOnly),
        ("GET /api/v1/admin/appointments", _ => "/api/v1/admin/appointments", _ => null, AdminOnly),
        ("GET /api/v1/admin/appointments/daily-counts", _ => "/api/v1/admin/appointments/daily-counts", _ => null, AdminOnly),
        ("GET /api/v1/admin/appointments/{id}", r => $"/api/v1/admin/appointments/{r.AppointmentId}", _ => null, AdminOnly),
        ("POST /api/v1/admin/appointments/{id}/cancel", r => $"/api/v1/admin/appointments/{r.SpareAppointmentId}/cancel", _ => new { reason = "Teste de autorização" }, AdminOnly),

        // Privacy: the caller's own rights, and the export the patient asked for.
        ("GET /api/v1/privacy/consents", _ => "/api/v1/privacy/consents", _ => null, AnyUser),
        ("POST /api/v1/privacy/consents", _ => "/api/v1/privacy/consents", _ => new { type = "dataProcessing", granted = true }, AnyUser),
        ("GET /api/v1/privacy/access-report", _ => "/api/v1/privacy/access-report", _ => null, AnyUser),
        ("GET /api/v1/privacy/exports", _ => "/api/v1/privacy/exports", _ => null, AnyUser),
        ("GET /api/v1/privacy/export/{exportId}", r => $"/api/v1/privacy/export/{r.ExportId}", _ => null, PatientsOwn),
        ("GET /api/v1/privacy/export/{exportId}/download", r => $"/api/v1/privacy/export/{r.ExportId}/download", _ => null, PatientsOwn),
        ("POST /api/v1/privacy/export", _ => "/api/v1/privacy/export", _ => null, AnyUser),
        ("POST /api/v1/privacy/erasure", _ => "/api/v1/privacy/erasure", _ => new { }, AnyUser),

        // Audit and incidents: administration.
        ("GET /api/v1/admin/audit", _ => "/api/v1/admin/audit", _ => null, AdminOnly),
        ("GET /api/v1/admin/audit/verify", _ => "/api/v1/admin/audit/verify", _ => null, AdminOnly),
        ("GET /api/v1/admin/audit/export", r => $"/api/v1/admin/audit/export?subject={r.Patient.Id}", _ => null, AdminOnly),
        ("POST /api/v1/admin/audit/checkpoints", _ => "/api/v1/admin/audit/checkpoints", _ => null, AdminOnly),
        ("GET /api/v1/admin/incidents", _ => "/api/v1/admin/incidents", _ => null, AdminOnly),
        ("POST /api/v1/admin/incidents", _ => "/api/v1/admin/incidents", _ => new { }, AdminOnly),
        ("GET /api/v1/admin/incidents/{id}", r => $"/api/v1/admin/incidents/{r.IncidentId}", _ => null, AdminOnly),
        ("POST /api/v1/admin/incidents/{id}/notices", r => $"/api/v1/admin/incidents/{r.IncidentId}/notices", _ => new { }, AdminOnly),
    ];

    [Fact]
    public async Task EveryOperation_ForEveryPrincipal_AnswersAsTheContractSays()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);

        // Every operation the host serves is in the matrix, and nothing in the matrix is gone.
        var served = (await OpenApiDocument.ApiOperationsAsync(silo1, ct)).Select(o => o.ToString()).ToList();
        var listed = Matrix.Select(m => m.Operation).ToList();
        Assert.Equal(listed.Count, listed.Distinct(StringComparer.Ordinal).Count());
        var unclassified = served.Except(listed, StringComparer.Ordinal).ToList();
        Assert.True(unclassified.Count == 0, "Classify these operations in the authorization matrix: " + string.Join(", ", unclassified));
        var gone = listed.Except(served, StringComparer.Ordinal).ToList();
        Assert.True(gone.Count == 0, "In the matrix but not in the API: " + string.Join(", ", gone));

        var r = await ResourcesAsync(silo1, silo2);
        var secrets = new[] { r.Patient.Email, r.Patient.FullName, r.Doctor.Email, r.Doctor.FullName };
        var failures = new List<string>();
        var cells = 0;
        var refusals = 0;
        foreach (var (operation, path, body, expected) in Matrix)
        {
            var method = new HttpMethod(operation[..operation.IndexOf(' ', StringComparison.Ordinal)]);
            foreach (var who in Order)
            {
                var outcome = expected[(int)who];
                var api = cells++ % 2 == 0 ? silo1 : silo2;
                using var response = await api.SendAsync(method, path(r), body(r), r.Token(who));
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync(ct);
                if (!Satisfies(outcome, status))
                {
                    failures.Add($"{operation} as {who}: expected {outcome}, got {status} {Truncate(text)}");
                    continue;
                }

                if (outcome is Outcome.Unauthorized or Outcome.Forbidden or Outcome.NotFound)
                {
                    refusals++;
                    if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    {
                        failures.Add($"{operation} as {who}: refusal {status} is not problem+json ({response.Content.Headers.ContentType})");
                    }

                    // A refusal tells nothing about the resource or its owner.
                    if (who != Who.Patient && secrets.FirstOrDefault(s => text.Contains(s, StringComparison.OrdinalIgnoreCase)) is { } leaked)
                    {
                        failures.Add($"{operation} as {who}: the {status} answer mentions '{leaked}'");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cells} cells wrong:\n" + string.Join('\n', failures));
        Figures.Report($"Authorization matrix: {Matrix.Length} operations (all of the OpenAPI document) x 6 principals = {cells} cells, {refusals} refusals (401/403/404) checked, 0 wrong");
    }

    [Fact]
    public async Task Lists_HoldOnlyTheCallersOwnRecords()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var r = await ResourcesAsync(silo1, silo2);

        // Appointments: neither the other patient nor the other doctor sees the pair's appointment, whatever role they ask as.
        foreach (var (who, query) in new[]
        {
            (Who.OtherPatient, ""), (Who.OtherPatient, "?role=doctor"), (Who.OtherPatient, "?role=patient"),
            (Who.OtherDoctor, ""), (Who.OtherDoctor, "?role=patient"), (Who.OtherDoctor, "?role=doctor"),
        })
        {
            var list = await silo2.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/scheduling/appointments" + query, null, r.Token(who));
            var ids = list.EnumerateArray().Select(a => a.GetProperty("appointmentId").GetGuid()).ToList();
            Assert.DoesNotContain(r.AppointmentId, ids);
            if (query.Length == 0)
            {
                Assert.Contains(r.SpareAppointmentId, ids);
            }
        }

        var own = await silo1.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/scheduling/appointments", null, r.Patient.AccessToken);
        Assert.Contains(r.AppointmentId, own.EnumerateArray().Select(a => a.GetProperty("appointmentId").GetGuid()));

        // The waiting room: the other doctor does not hear of the patient's call.
        var waiting = await silo1.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/calls/waiting", null, r.OtherDoctor.AccessToken);
        Assert.DoesNotContain(r.RoomId.ToString(), waiting.GetRawText(), StringComparison.OrdinalIgnoreCase);
        var doctorsWaiting = await silo2.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/calls/waiting", null, r.Doctor.AccessToken);
        Assert.Contains(r.RoomId.ToString(), doctorsWaiting.GetRawText(), StringComparison.OrdinalIgnoreCase);

        // Exports and the access report: one's own only.
        var exports = await silo2.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/privacy/exports", null, r.OtherPatient.AccessToken);
        Assert.DoesNotContain(r.ExportId.ToString(), exports.GetRawText(), StringComparison.OrdinalIgnoreCase);
        var report = await silo1.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/privacy/access-report", null, r.OtherPatient.AccessToken);
        Assert.DoesNotContain(r.Doctor.FullName, report.GetRawText(), StringComparison.Ordinal);
        var me = await silo1.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/identity/me", null, r.OtherPatient.AccessToken);
        Assert.Equal(r.OtherPatient.Id, me.GetProperty("id").GetGuid());
    }

    private static bool Satisfies(Outcome outcome, int status) => outcome switch
    {
        Outcome.Allowed => status is < 500 and not (401 or 403 or 404),
        Outcome.Unauthorized => status == 401,
        Outcome.Forbidden => status == 403,
        Outcome.NotFound => status == 404,
        _ => false,
    };

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    /// <summary>
    /// Real resources owned by a patient and a doctor: a booked appointment, a ringing call, a ready
    /// export, an avatar and a credential document; plus another patient and doctor with an
    /// appointment of their own (a stranger is a real user with data, not an empty account).
    /// </summary>
    private async Task<Resources> ResourcesAsync(TelemedicinaApi silo1, TelemedicinaApi silo2)
    {
        var admin = fixture.Admin;
        var pair = await Scenario.BookedPairAsync(silo1, silo2, admin);
        var other = await Scenario.BookedPairAsync(silo2, silo1, admin);
        var victim = await silo1.RegisterPatientAsync();
        var call = await silo2.RequestCallAsync(pair.Patient, pair.Booked.AppointmentId);
        var export = await silo1.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/privacy/export", null, pair.Patient.AccessToken, HttpStatusCode.Accepted);
        var exportId = export.GetProperty("exportId").GetGuid();
        using (var avatar = await FilesTests.SendFileAsync(silo1, HttpMethod.Put, "/api/v1/identity/me/avatar", FilesTests.Png, "image/png", pair.Patient))
        {
            Assert.Equal(HttpStatusCode.NoContent, avatar.StatusCode);
        }

        Guid documentId;
        using (var uploaded = await FilesTests.SendFileAsync(silo2, HttpMethod.Post, "/api/v1/identity/doctors/me/documents", FilesTests.Pdf, "application/pdf", pair.Doctor))
        {
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
            documentId = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        }

        var incident = await silo1.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/admin/incidents",
            new { title = "Teste de autorização", description = "Incidente simulado", discoveredAt = DateTimeOffset.UtcNow, dataCategories = new List<string> { "contato" }, affectedSubjectIds = new List<Guid> { pair.Patient.Id } },
            admin.AccessToken, HttpStatusCode.Created);
        var specialty = await silo2.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/admin/specialties",
            new { name = "Especialidade " + Guid.NewGuid().ToString("N")[..8] }, admin.AccessToken, HttpStatusCode.Created);
        foreach (var doctor in new[] { pair.Doctor, other.Doctor })
        {
            // A day off far ahead, so that the DELETE of the doctor's own blocked date finds something.
            await silo2.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/scheduling/doctors/me/blocked-dates", new { date = BlockedDate, reason = "Férias" }, doctor.AccessToken, HttpStatusCode.Created);
        }

        var now = DateTimeOffset.UtcNow;
        var free = await silo1.SlotsAsync(pair.Patient, pair.Doctor.Id, now.AddHours(3), now.AddDays(2));
        Assert.NotEmpty(free);
        await PrivacyRightsTests.WaitReadyAsync(silo1, pair.Patient, exportId);
        return new Resources(pair.Patient, other.Patient, pair.Doctor, other.Doctor, admin, victim)
        {
            AppointmentId = pair.Booked.AppointmentId,
            SpareAppointmentId = other.Booked.AppointmentId,
            RescheduleTo = TelemedicinaApi.Iso(free[0].StartsAt),
            RoomId = call.RoomId,
            ExportId = exportId,
            DocumentId = documentId,
            IncidentId = incident.GetProperty("id").GetGuid(),
            SpecialtyId = specialty.GetProperty("id").GetGuid(),
        };
    }

    private sealed record Resources(TestUser Patient, TestUser OtherPatient, TestUser Doctor, TestUser OtherDoctor, TestUser Admin, TestUser Victim)
    {
        public Guid AppointmentId { get; init; }

        /// <summary>The other pair's appointment (the admin cancels it).</summary>
        public Guid SpareAppointmentId { get; init; }

        public string RescheduleTo { get; init; } = "";

        public Guid RoomId { get; init; }

        public Guid ExportId { get; init; }

        public Guid DocumentId { get; init; }

        public Guid IncidentId { get; init; }

        public Guid SpecialtyId { get; init; }

        public string? Token(Who who) => who switch
        {
            Who.Anonymous => null,
            Who.Patient => Patient.AccessToken,
            Who.OtherPatient => OtherPatient.AccessToken,
            Who.Doctor => Doctor.AccessToken,
            Who.OtherDoctor => OtherDoctor.AccessToken,
            _ => Admin.AccessToken,
        };
    }
}
