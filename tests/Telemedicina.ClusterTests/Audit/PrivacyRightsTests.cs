using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Audit;

/// <summary>
/// LGPD data-subject rights on the real cluster: the portability export has everything about the
/// person and nothing about anyone else; erasure leaves no direct identifier in Identity while the
/// appointments, call records and audit trail remain; revoking consent stops bookings and calls at once.
/// </summary>
public sealed class PrivacyRightsTests(ClusterFixture fixture)
{
    internal sealed record ExportAccepted(Guid ExportId);

    internal sealed record ExportStatus(Guid ExportId, string Status, DateTimeOffset RequestedAt, DateTimeOffset? ExpiresAt, long? SizeBytes, string? DownloadUrl);

    private sealed record Retained(string Data, string Reason, string Retention);

    private sealed record Outcome(string Category, string[] Anonymized, Retained[] Retained);

    private sealed record ErasureReport(Guid SubjectId, DateTimeOffset ErasedAt, Outcome[] Modules);

    private sealed record Verification(bool Valid, long Checked, long? FirstBrokenId, string? Reason);

    [Fact]
    public async Task Export_HasEveryRecordAboutThePatient_AndNothingAboutAnyoneElse()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var pair = await PairWithPersonalDataAsync(silo2, silo1);
        var other = await Scenario.ConsentingPatientAsync(silo2);
        var otherBooking = await Scenario.BookNextSlotAsync(silo2, other, pair.Doctor);

        // A call record (requested, then cancelled by the patient) and reads of the patient's data by others.
        var call = await silo1.RequestCallAsync(pair.Patient, pair.Booked.AppointmentId);
        await silo1.CallActionAsync(pair.Patient, call.RoomId, "cancel");
        await silo2.GetAppointmentAsync(pair.Doctor, pair.Booked.AppointmentId);
        await silo2.GetAppointmentAsync(pair.Doctor, otherBooking.AppointmentId);
        await silo1.SendAsync<object>(HttpMethod.Get, $"/api/v1/admin/appointments/{pair.Booked.AppointmentId}", null, fixture.Admin.AccessToken);

        var started = Stopwatch.StartNew();
        var accepted = await silo1.SendAsync<ExportAccepted>(HttpMethod.Post, "/api/v1/privacy/export", null, pair.Patient.AccessToken, HttpStatusCode.Accepted);
        var ready = await WaitReadyAsync(silo2, pair.Patient, accepted.ExportId);
        Figures.Report($"LGPD export: built and downloadable in {started.ElapsedMilliseconds} ms ({ready.SizeBytes} bytes)");

        // The file system store has no pre-signed URLs: the link is the authenticated API download.
        Assert.Equal($"/api/v1/privacy/export/{accepted.ExportId}/download", ready.DownloadUrl);
        Assert.True(ready.ExpiresAt > DateTimeOffset.UtcNow.AddDays(6.9) && ready.ExpiresAt < DateTimeOffset.UtcNow.AddDays(7.1));
        using var download = await silo2.SendAsync(HttpMethod.Get, ready.DownloadUrl!, token: pair.Patient.AccessToken);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var text = await download.Content.ReadAsStringAsync();
        using var bundle = JsonDocument.Parse(text);
        var sections = bundle.RootElement.GetProperty("sections");

        var profile = sections.GetProperty("profile");
        Assert.Equal(pair.Patient.Email, profile.GetProperty("email").GetString());
        Assert.Equal(pair.Patient.FullName, profile.GetProperty("fullName").GetString());
        Assert.Equal(11, profile.GetProperty("cpf").GetString()?.Length);
        Assert.StartsWith("+55", profile.GetProperty("phone").GetString(), StringComparison.Ordinal);
        Assert.Equal("1980-05-17", profile.GetProperty("birthDate").GetString());
        Assert.Equal("active", profile.GetProperty("status").GetString()); // the API's spelling, not .NET's "Active"
        var appointment = Assert.Single(sections.GetProperty("appointments").GetProperty("appointments").EnumerateArray());
        Assert.Equal(pair.Booked.AppointmentId, appointment.GetProperty("id").GetGuid());
        // People are named, not only numbered: the doctor of the appointment, and the patient where they acted.
        Assert.Equal(pair.Doctor.FullName, appointment.GetProperty("doctorName").GetString());
        var booked = appointment.GetProperty("history").EnumerateArray().First();
        Assert.Equal(pair.Patient.Id, booked.GetProperty("byUserId").GetGuid());
        Assert.Equal(pair.Patient.FullName, booked.GetProperty("byName").GetString());
        var callRecord = Assert.Single(sections.GetProperty("calls").EnumerateArray());
        Assert.Equal(call.RoomId, callRecord.GetProperty("roomId").GetGuid());
        var privacy = sections.GetProperty("privacy");
        Assert.Contains(privacy.GetProperty("consents").EnumerateArray(), c => c.GetProperty("type").GetString() == "telemedicine");
        var trail = privacy.GetProperty("auditTrail").EnumerateArray().ToList();
        Assert.Contains(trail, e => e.GetProperty("actorId").GetString() == pair.Doctor.Id.ToString() && e.GetProperty("resourceType").GetString() == "Appointment"
            && e.GetProperty("actorName").GetString() == pair.Doctor.FullName);
        Assert.Contains(trail, e => e.GetProperty("actorRole").GetString() == "admin");
        // Other people's IP addresses are not the patient's data.
        Assert.All(trail.Where(e => e.GetProperty("actorId").GetString() != pair.Patient.Id.ToString()),
            e => Assert.Equal(JsonValueKind.Null, e.GetProperty("ipAddress").ValueKind));

        // Nothing about the other patient of the same doctor, and not the doctor's e-mail.
        foreach (var foreign in new[] { other.Id.ToString(), other.Email, other.FullName, otherBooking.AppointmentId.ToString(), pair.Doctor.Email })
        {
            Assert.DoesNotContain(foreign, text, StringComparison.OrdinalIgnoreCase);
        }

        // The doctor's export names the doctor, never a patient (their ids stay: the records are the doctor's too).
        var doctorExport = await silo2.SendAsync<ExportAccepted>(HttpMethod.Post, "/api/v1/privacy/export", null, pair.Doctor.AccessToken, HttpStatusCode.Accepted);
        var doctorReady = await WaitReadyAsync(silo1, pair.Doctor, doctorExport.ExportId);
        using var doctorDownload = await silo1.SendAsync(HttpMethod.Get, doctorReady.DownloadUrl!, token: pair.Doctor.AccessToken);
        var doctorText = await doctorDownload.Content.ReadAsStringAsync();
        Assert.Contains(pair.Doctor.FullName, doctorText, StringComparison.Ordinal);
        foreach (var patientName in new[] { pair.Patient.FullName, other.FullName })
        {
            Assert.DoesNotContain(patientName, doctorText, StringComparison.OrdinalIgnoreCase);
        }

        // Only the owner sees or downloads it; asking it was audited.
        using var stranger = await silo1.SendAsync(HttpMethod.Get, $"/api/v1/privacy/export/{accepted.ExportId}", token: other.AccessToken);
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        using var strangerDownload = await silo1.SendAsync(HttpMethod.Get, ready.DownloadUrl!, token: pair.Doctor.AccessToken);
        Assert.Equal(HttpStatusCode.NotFound, strangerDownload.StatusCode);
        using var anonymous = await silo1.SendAsync(HttpMethod.Get, ready.DownloadUrl!);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        await using var db = await OpenAsync();
        Assert.True(await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit.entries WHERE resource_type = 'DataExport' AND resource_id = @id AND subject_id = @subject",
            new { id = accepted.ExportId.ToString(), subject = pair.Patient.Id }) >= 3); // requested, built, read
    }

    [Fact]
    public async Task Export_LimitsRequestsPerDay_AndReturnsTheOpenRequestInsteadOfQueueingTwice()
    {
        using var api = fixture.Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var accepted = await api.SendAsync<ExportAccepted>(HttpMethod.Post, "/api/v1/privacy/export", null, patient.AccessToken, HttpStatusCode.Accepted);
            ids.Add(accepted.ExportId);
            await WaitReadyAsync(api, patient, accepted.ExportId);
        }

        using var fourth = await api.SendAsync(HttpMethod.Post, "/api/v1/privacy/export", token: patient.AccessToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.Equal("application/problem+json", fourth.Content.Headers.ContentType?.MediaType);

        // When to ask again is when the first of the three turns a day old: not "in a minute".
        var retryAfter = fourth.Headers.RetryAfter?.Delta ?? TimeSpan.Zero;
        Assert.True(retryAfter > TimeSpan.FromHours(23) && retryAfter <= TimeSpan.FromHours(24), $"Retry-After: {fourth.Headers.RetryAfter}");
        var listed = await api.SendAsync<ExportStatus[]>(HttpMethod.Get, "/api/v1/privacy/exports", null, patient.AccessToken);
        Assert.Equal(ids.AsEnumerable().Reverse(), listed.Select(e => e.ExportId));
        // Ready ones can be downloaded from the list, as from their status.
        foreach (var export in listed)
        {
            using var download = await api.SendAsync(HttpMethod.Get, export.DownloadUrl!.ToString(), token: patient.AccessToken);
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        }
    }

    [Fact]
    public async Task Erasure_LeavesNoDirectIdentifierInIdentity_KeepsAppointmentsCallsAndAudit_AndSaysWhatItKept()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (pair, call) = await PairWithACallRecordAsync(silo1, silo2);
        var patient = pair.Patient;
        await using var db = await OpenAsync();
        var cpfBefore = await db.ExecuteScalarAsync<string?>("SELECT cpf_protected FROM identity.users WHERE id = @Id", patient);
        Assert.NotNull(cpfBefore);
        Assert.True(await GrainStatesNamingAsync(db, patient.FullName) > 0, "the call record should hold the patient's name before erasure");

        // A wrong password changes nothing.
        using var wrong = await silo1.SendAsync(HttpMethod.Post, "/api/v1/privacy/erasure", new { password = "not-the-password-1A!" }, patient.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(patient.Email, await db.ExecuteScalarAsync<string>("SELECT email FROM identity.users WHERE id = @Id", patient));
        using var missing = await silo1.SendAsync(HttpMethod.Post, "/api/v1/privacy/erasure", new { }, patient.AccessToken);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);

        var report = await silo1.SendAsync<ErasureReport>(HttpMethod.Post, "/api/v1/privacy/erasure", new { password = patient.Password }, patient.AccessToken);

        // Every module answered; what was kept is listed with its legal reason.
        Assert.Equal(["appointments", "calls", "privacy", "profile"], report.Modules.Select(m => m.Category).Order(StringComparer.Ordinal));
        var calls = report.Modules.Single(m => m.Category == "calls");
        Assert.Equal(["seu nome no registro das chamadas"], calls.Anonymized);
        Assert.Contains("sem o seu nome", Assert.Single(calls.Retained).Data, StringComparison.Ordinal);
        Assert.DoesNotContain(report.Modules.SelectMany(m => m.Anonymized), a => a.Contains("agenda", StringComparison.Ordinal));
        Assert.Contains(report.Modules.SelectMany(m => m.Retained), r => r.Reason.Contains("13.787", StringComparison.Ordinal) && r.Retention == "20 anos");
        Assert.Contains(report.Modules.SelectMany(m => m.Retained), r => r.Data.Contains("auditoria", StringComparison.Ordinal));

        // Identity: no name, e-mail, CPF, phone, birth date, password or second factor left anywhere in its schema.
        var identityRows = string.Join('\n', await db.QueryAsync<string>(
            """
            SELECT row_to_json(u)::text FROM identity.users u WHERE id = @Id
            UNION ALL SELECT row_to_json(t)::text FROM identity.user_tokens t WHERE user_id = @Id
            UNION ALL SELECT row_to_json(c)::text FROM identity.user_claims c WHERE user_id = @Id
            """,
            patient));
        foreach (var identifier in new[] { patient.Email, patient.FullName, cpfBefore })
        {
            Assert.DoesNotContain(identifier!, identityRows, StringComparison.OrdinalIgnoreCase);
        }

        var user = await db.QuerySingleAsync<(string Status, string? PasswordHash, string? Cpf, byte[]? CpfHash, string? Phone, string? Birth)>(
            "SELECT status, password_hash, cpf_protected, cpf_hash, phone_protected, birth_date_protected FROM identity.users WHERE id = @Id", patient);
        Assert.Equal(("Erased", (string?)null, (string?)null, (byte[]?)null, (string?)null, (string?)null), user);
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM identity.refresh_tokens WHERE user_id = @Id AND revoked_at IS NULL", patient));

        // The appointment stays (cancelled: it was in the future; the doctor is told), so do the call record and the audit trail.
        var appointment = await db.QuerySingleAsync<(string Status, string? CancelReason)>(
            "SELECT status, cancel_reason FROM scheduling.appointments WHERE id = @AppointmentId", pair.Booked);
        Assert.Equal("cancelled", appointment.Status);
        Assert.Contains("LGPD", appointment.CancelReason, StringComparison.Ordinal);
        Assert.Equal(1, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM scheduling.notifications WHERE appointment_id = @AppointmentId AND recipient_id = @doctor AND kind = 'cancelled'",
            new { pair.Booked.AppointmentId, doctor = pair.Doctor.Id }));
        var record = await silo2.GetCallAsync(pair.Doctor, call.RoomId);
        Assert.Equal(call.RoomId, record.RoomId);
        Assert.Equal(0, await GrainStatesNamingAsync(db, patient.FullName));
        Assert.True(await db.ExecuteScalarAsync<int>("SELECT count(*) FROM audit.entries WHERE subject_id = @Id", patient) > 3);
        var verification = await silo2.SendAsync<Verification>(HttpMethod.Get, "/api/v1/admin/audit/verify", null, fixture.Admin.AccessToken);
        Assert.True(verification.Valid, $"The audit chain does not verify: {verification}");

        // The old credentials are dead, the access token too (it still requested exports before): on the silo that
        // erased at once, and on the other within its revocation refresh.
        using var login = await silo2.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = patient.Email, password = patient.Password });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        using var again = await silo1.SendAsync(HttpMethod.Post, "/api/v1/privacy/erasure", new { password = patient.Password }, patient.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var export = await silo2.SendAsync(HttpMethod.Post, "/api/v1/privacy/export", null, patient.AccessToken);
            if (export.StatusCode == HttpStatusCode.Unauthorized)
            {
                break;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), $"the erased account's token still requests exports on the other silo: {(int)export.StatusCode}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// A doctor may ask for erasure too. The records of the consultations the doctor attended keep the doctor's name (the
    /// professional must be identified), and the answer says so instead of repeating a patient's: nothing of the call
    /// records was anonymized, the schedule was, and the patient still sees who attended.
    /// </summary>
    [Fact]
    public async Task ADoctorsErasure_KeepsTheNameOnTheRecordsOfTheConsultations_AndTheAnswerSaysWhatItDidForADoctor()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (pair, _) = await PairWithACallRecordAsync(silo1, silo2);

        var report = await silo1.SendAsync<ErasureReport>(HttpMethod.Post, "/api/v1/privacy/erasure", new { password = pair.Doctor.Password }, pair.Doctor.AccessToken);

        var calls = report.Modules.Single(m => m.Category == "calls");
        Assert.Empty(calls.Anonymized);
        Assert.Contains("que você atendeu", Assert.Single(calls.Retained).Data, StringComparison.Ordinal);
        Assert.Contains("agenda de disponibilidade e dias bloqueados", report.Modules.Single(m => m.Category == "appointments").Anonymized);
        Assert.Contains(report.Modules.Single(m => m.Category == "profile").Retained, r => r.Data.Contains("CRM", StringComparison.Ordinal));
        var seen = await silo2.GetAppointmentAsync(pair.Patient, pair.Booked.AppointmentId);
        Assert.Equal(("cancelled", pair.Doctor.FullName), (seen.Status, seen.DoctorName));
    }

    [Fact]
    public async Task RevokingTelemedicineConsent_BlocksNewBookingsAndCallsAtOnce_AndGrantingAgainRestoresThem()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var pair = await Scenario.BookedPairAsync(silo1, silo2, fixture.Admin);

        await silo1.SendAsync<object>(HttpMethod.Post, "/api/v1/privacy/consents", new { type = "telemedicine", granted = false }, pair.Patient.AccessToken);

        // The very next requests, on the other silo, are refused with a clear problem.
        using var call = await silo2.SendAsync(HttpMethod.Post, "/api/v1/calls", new { appointmentId = pair.Booked.AppointmentId }, pair.Patient.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, call.StatusCode);
        Assert.Contains("consent", await call.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var slots = await silo2.SlotsAsync(pair.Patient, pair.Doctor.Id, DateTimeOffset.UtcNow.AddHours(3), DateTimeOffset.UtcNow.AddDays(1));
        using var booking = await silo2.SendAsync(HttpMethod.Post, "/api/v1/scheduling/appointments", new { doctorId = pair.Doctor.Id, startsAt = slots[0].StartsAt }, pair.Patient.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, booking.StatusCode);
        Assert.Contains("consent-required", await booking.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var db = await OpenAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduling.appointments WHERE patient_id = @Id", pair.Patient));

        await silo2.GrantConsentAsync(pair.Patient);
        var allowed = await silo1.RequestCallAsync(pair.Patient, pair.Booked.AppointmentId);
        Assert.Equal("ringing", allowed.Status);
        await silo1.CallActionAsync(pair.Patient, allowed.RoomId, "cancel");
    }

    // A pair whose patient called and cancelled on silo 2: the appointment stays scheduled, and a call record exists.
    private async Task<(BookedPair Pair, CallState Call)> PairWithACallRecordAsync(TelemedicinaApi doctorApi, TelemedicinaApi patientApi)
    {
        var pair = await PairWithPersonalDataAsync(doctorApi, patientApi);
        var call = await patientApi.RequestCallAsync(pair.Patient, pair.Booked.AppointmentId);
        await patientApi.CallActionAsync(pair.Patient, call.RoomId, "cancel");
        return (pair, call);
    }

    private async Task<BookedPair> PairWithPersonalDataAsync(TelemedicinaApi doctorApi, TelemedicinaApi patientApi)
    {
        var doctor = await Scenario.VerifiedDoctorAsync(doctorApi, fixture.Admin);
        var patient = await patientApi.RegisterPatientAsync(withPersonalData: true);
        await patientApi.GrantConsentAsync(patient);
        return new BookedPair(doctor, patient, await Scenario.BookNextSlotAsync(patientApi, patient, doctor));
    }

    // Grain state is Orleans' binary format, in which strings are UTF-8.
    private static Task<int> GrainStatesNamingAsync(NpgsqlConnection db, string name) =>
        db.ExecuteScalarAsync<int>("SELECT count(*) FROM orleans.grain_state WHERE position(convert_to(@name, 'UTF8') IN payload) > 0", new { name });

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var db = new NpgsqlConnection(fixture.Cluster.ConnectionString);
        await db.OpenAsync(TestContext.Current.CancellationToken);
        return db;
    }

    internal static async Task<ExportStatus> WaitReadyAsync(TelemedicinaApi api, TestUser user, Guid exportId)
    {
        var deadline = Deadline.InSeconds(60);
        while (true)
        {
            var status = await api.SendAsync<ExportStatus>(HttpMethod.Get, $"/api/v1/privacy/export/{exportId}", null, user.AccessToken);
            if (status.Status == "ready")
            {
                return status;
            }

            Assert.True(status.Status is "pending" or "building", $"export {exportId} ended {status.Status}");
            Assert.False(deadline.Passed, $"export {exportId} still {status.Status} after 60 s");
            await Task.Delay(200);
        }
    }
}
