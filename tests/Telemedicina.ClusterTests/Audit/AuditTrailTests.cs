using System.Net;
using Dapper;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Audit;

/// <summary>
/// The audit trail is one hash chain across silos, verify pinpoints an edited or deleted row (HTTP
/// and the <c>audit verify</c> command), and a patient's access report shows who read their data.
/// </summary>
public sealed class AuditTrailTests(ClusterFixture fixture)
{
    private sealed record Verification(bool Valid, long Checked, long? FirstBrokenId, string? Reason);

    private sealed record AccessItem(DateTimeOffset At, Guid? ActorId, string? ActorName, string? ActorRole, string Action, string ResourceType, string? Purpose);

    private sealed record AccessReport(DateTimeOffset From, DateTimeOffset To, AccessItem[] Accesses);

    private sealed record AuditEntry(long Id, Guid? ActorId, string? ActorName, string Action, string ResourceType, Guid? SubjectId, string? SubjectName);

    private sealed record AuditPage(AuditEntry[] Items, int Page, int PageSize, long Total);

    [Fact]
    public async Task ConcurrentWritesFromTwoSilos_KeepOneChain_AndVerifyPinpointsAnEditedOrDeletedEntry()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var patients = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? silo1 : silo2).RegisterPatientAsync()));
        await silo1.SendAsync<object>(HttpMethod.Post, "/api/v1/admin/audit/checkpoints", null, fixture.Admin.AccessToken);

        // 120 audited writes at once, half through each silo.
        await Task.WhenAll(Enumerable.Range(0, 120).Select(i =>
        {
            var api = i % 2 == 0 ? silo1 : silo2;
            return api.SendAsync<object>(HttpMethod.Post, "/api/v1/privacy/consents",
                new { type = "dataProcessing", granted = i % 3 != 0 }, patients[i % patients.Length].AccessToken);
        }));

        // The unfiltered search's total is the whole trail, counted from the checkpoint above: between two row counts
        // (a search from the epoch) taken around it, since entries are only ever added.
        const string Counted = "/api/v1/admin/audit?from=2000-01-01T00:00:00Z";
        var before = (await silo2.SendAsync<AuditPage>(HttpMethod.Get, Counted, null, fixture.Admin.AccessToken)).Total;
        var unfiltered = (await silo1.SendAsync<AuditPage>(HttpMethod.Get, "/api/v1/admin/audit", null, fixture.Admin.AccessToken)).Total;
        var after = (await silo2.SendAsync<AuditPage>(HttpMethod.Get, Counted, null, fixture.Admin.AccessToken)).Total;
        Assert.InRange(unfiltered, before, after);

        var intact = await silo2.SendAsync<Verification>(HttpMethod.Get, "/api/v1/admin/audit/verify", null, fixture.Admin.AccessToken);
        Assert.True(intact.Valid, $"chain broken at {intact.FirstBrokenId}: {intact.Reason}");
        Assert.True(intact.Checked >= 120, $"only {intact.Checked} entries");

        // Plain SQL cannot change it (the triggers refuse)...
        await using var db = new NpgsqlConnection(fixture.Cluster.ConnectionString);
        await db.OpenAsync(ct);
        var target = await db.ExecuteScalarAsync<long>("SELECT max(id) - 10 FROM audit.entries");
        await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("UPDATE audit.entries SET purpose = 'x' WHERE id = @target", new { target }));
        await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("DELETE FROM audit.entries WHERE id = @target", new { target }));

        // ...but a superuser with triggers off can: verify then names exactly the edited entry.
        var original = await db.ExecuteScalarAsync<string?>("SELECT purpose FROM audit.entries WHERE id = @target", new { target });
        await AsSuperuserAsync(db, "UPDATE audit.entries SET purpose = 'tampered' WHERE id = @target", new { target });
        var edited = await silo1.SendAsync<Verification>(HttpMethod.Get, "/api/v1/admin/audit/verify", null, fixture.Admin.AccessToken);
        Assert.False(edited.Valid);
        Assert.Equal(target, edited.FirstBrokenId);

        // The operator's command says the same, with a failing exit code.
        await using (var command = SiloProcess.Start("audit-verify", fixture.Cluster.ConnectionString, fixture.Cluster.ClusterId, TestCluster.DefaultEnvironment, "audit", "verify"))
        {
            Assert.Equal(3, await command.WaitForExitAsync(TimeSpan.FromMinutes(2)));
            Assert.Contains($"BROKEN at entry {target}", command.Tail(), StringComparison.Ordinal);
        }

        await AsSuperuserAsync(db, "UPDATE audit.entries SET purpose = @original WHERE id = @target", new { target, original });
        Assert.True((await silo1.SendAsync<Verification>(HttpMethod.Get, "/api/v1/admin/audit/verify", null, fixture.Admin.AccessToken)).Valid);

        // A deleted entry: the one after it no longer links, and that is the entry reported.
        await AsSuperuserAsync(db, "CREATE TABLE public.audit_backup AS SELECT * FROM audit.entries WHERE id = @target; DELETE FROM audit.entries WHERE id = @target", new { target });
        var deleted = await silo1.SendAsync<Verification>(HttpMethod.Get, "/api/v1/admin/audit/verify", null, fixture.Admin.AccessToken);
        Assert.False(deleted.Valid);
        Assert.Equal(target + 1, deleted.FirstBrokenId);
        Assert.Contains("prev_hash", deleted.Reason, StringComparison.Ordinal);
        await AsSuperuserAsync(db, "INSERT INTO audit.entries OVERRIDING SYSTEM VALUE SELECT * FROM public.audit_backup; DROP TABLE public.audit_backup", null);
        Assert.True((await silo2.SendAsync<Verification>(HttpMethod.Get, "/api/v1/admin/audit/verify", null, fixture.Admin.AccessToken)).Valid);

        await using (var command = SiloProcess.Start("audit-verify", fixture.Cluster.ConnectionString, fixture.Cluster.ClusterId, TestCluster.DefaultEnvironment, "audit", "verify"))
        {
            Assert.Equal(0, await command.WaitForExitAsync(TimeSpan.FromMinutes(2)));
            Assert.Contains("audit chain intact", command.Tail(), StringComparison.Ordinal);
        }

        // Only admins verify or search.
        using var refused = await silo1.SendAsync(HttpMethod.Get, "/api/v1/admin/audit/verify", token: patients[0].AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task AccessReport_ListsTheDoctorsAndTheAdminsReads_AndOnlyThePatientsOwn()
    {
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var doctor = await Scenario.VerifiedDoctorAsync(silo2, fixture.Admin);
        var patient = await Scenario.ConsentingPatientAsync(silo1);
        var other = await Scenario.ConsentingPatientAsync(silo1);
        var booked = await Scenario.BookNextSlotAsync(silo1, patient, doctor);

        await silo2.GetAppointmentAsync(doctor, booked.AppointmentId);
        await silo1.SendAsync<object>(HttpMethod.Get, $"/api/v1/admin/appointments/{booked.AppointmentId}", null, fixture.Admin.AccessToken);
        await silo1.GetAppointmentAsync(patient, booked.AppointmentId);

        var report = await silo2.SendAsync<AccessReport>(HttpMethod.Get, "/api/v1/privacy/access-report", null, patient.AccessToken);
        Assert.Contains(report.Accesses, a => a.ActorId == doctor.Id && a.ActorRole == "doctor" && a.ResourceType == "Appointment" && !string.IsNullOrEmpty(a.ActorName));
        Assert.Contains(report.Accesses, a => a.ActorRole == "admin" && a.ActorName == "Administradora Demo" && a.ResourceType == "Appointment");
        Assert.DoesNotContain(report.Accesses, a => a.ActorId == patient.Id);

        var theirs = await silo2.SendAsync<AccessReport>(HttpMethod.Get, "/api/v1/privacy/access-report", null, other.AccessToken);
        Assert.DoesNotContain(theirs.Accesses, a => a.ActorId == doctor.Id);

        // Lists that show the patient's data are reads of it too: the doctor's agenda (name, reason) and an admin's user
        // search (name, e-mail). The other patient, in neither list, sees neither.
        await silo2.SendAsync<object>(HttpMethod.Get, "/api/v1/scheduling/appointments?role=doctor", null, doctor.AccessToken);
        await silo1.SendAsync<object>(HttpMethod.Get, $"/api/v1/admin/users?q={Uri.EscapeDataString(patient.Email)}", null, fixture.Admin.AccessToken);
        var afterLists = await silo2.SendAsync<AccessReport>(HttpMethod.Get, "/api/v1/privacy/access-report", null, patient.AccessToken);
        Assert.Contains(afterLists.Accesses, a => a.ActorId == doctor.Id && a.ResourceType == "AppointmentList");
        Assert.Contains(afterLists.Accesses, a => a.ActorRole == "admin" && a.ResourceType == "User");
        await silo1.SendAsync<object>(HttpMethod.Get, $"/api/v1/admin/appointments?doctorId={doctor.Id}", null, fixture.Admin.AccessToken);
        afterLists = await silo2.SendAsync<AccessReport>(HttpMethod.Get, "/api/v1/privacy/access-report", null, patient.AccessToken);
        Assert.Contains(afterLists.Accesses, a => a.ActorRole == "admin" && a.ResourceType == "AppointmentList");
        theirs = await silo2.SendAsync<AccessReport>(HttpMethod.Get, "/api/v1/privacy/access-report", null, other.AccessToken);
        Assert.DoesNotContain(theirs.Accesses, a => a.ResourceType is "AppointmentList" or "User");

        using var bad = await silo1.SendAsync(HttpMethod.Get, "/api/v1/privacy/access-report?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", token: patient.AccessToken);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // The admin's audit search finds the doctor's read, and records that it was searched.
        var page = await silo1.SendAsync<AuditPage>(HttpMethod.Get, $"/api/v1/admin/audit?actor={doctor.Id}&subject={patient.Id}&action=read", null, fixture.Admin.AccessToken);
        Assert.Contains(page.Items, e => e.ResourceType == "Appointment" && e.SubjectId == patient.Id);
        Assert.All(page.Items, e => Assert.Equal(doctor.Id, e.ActorId));
        // Each entry names its actor and its subject, so a page of the trail reads without looking up each id.
        Assert.All(page.Items, e => Assert.Equal((doctor.FullName, patient.FullName), (e.ActorName, e.SubjectName)));
        var system = await silo1.SendAsync<AuditPage>(HttpMethod.Get, $"/api/v1/admin/audit?subject={patient.Id}&action=create", null, fixture.Admin.AccessToken);
        Assert.Contains(system.Items, e => e.SubjectName == patient.FullName);
        Assert.All(system.Items.Where(e => e.ActorId is null), e => Assert.Null(e.ActorName));
        // An action the trail never records is refused with the ones it does (it answered an empty page, as if no one had).
        foreach (var unknown in new[] { "xyz", "READ", "reads" })
        {
            using var badAction = await silo1.SendAsync(HttpMethod.Get, $"/api/v1/admin/audit?subject={patient.Id}&action={unknown}", token: fixture.Admin.AccessToken);
            Assert.Equal(HttpStatusCode.BadRequest, badAction.StatusCode);
            Assert.Equal("application/problem+json", badAction.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Use uma destas: create, read, update", await badAction.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        using var notAdmin = await silo1.SendAsync(HttpMethod.Get, $"/api/v1/admin/audit?subject={patient.Id}", token: doctor.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
    }

    [Fact]
    public async Task AnAgendaThatAsksAgainWithTheTagOfWhatItShows_Gets304AndRecordsNoRead_UntilTheListChanges()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var (doctor, patient, booked) = await Scenario.BookedPairAsync(silo2, silo1, fixture.Admin);
        const string agenda = "/api/v1/scheduling/appointments?role=doctor";
        await using var db = new NpgsqlConnection(fixture.Cluster.ConnectionString);
        await db.OpenAsync(ct);
        Task<long> ReadsAsync(Guid actor, Guid subject) => db.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit.entries WHERE actor_id = @actor AND subject_id = @subject AND resource_type = 'AppointmentList'",
            new { actor, subject });
        async Task<HttpResponseMessage> ListAsync(TelemedicinaApi api, TestUser user, string path, string? ifNoneMatch)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new("Bearer", user.AccessToken);
            if (ifNoneMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
            }

            return await api.Http.SendAsync(request, ct);
        }

        // The first list: 200 with its tag, kept out of any cache, and one read of the patient's data recorded.
        using var first = await ListAsync(silo1, doctor, agenda, null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var tag = first.Headers.ETag?.Tag;
        Assert.False(string.IsNullOrEmpty(tag));
        Assert.Equal("no-store", first.Headers.CacheControl?.ToString());
        Assert.Contains(booked.AppointmentId.ToString(), await first.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        var readsOfThePatient = await ReadsAsync(doctor.Id, patient.Id);
        var ownReads = await ReadsAsync(doctor.Id, doctor.Id);
        Assert.Equal(1, readsOfThePatient);

        // Asked again with that tag, on either silo and as a weak tag or in a list: 304, no body, nothing recorded.
        foreach (var (api, header) in new[] { (silo1, tag!), (silo2, tag!), (silo2, $"W/{tag}"), (silo1, $"\"other\", {tag}") })
        {
            using var again = await ListAsync(api, doctor, agenda, header);
            Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
            Assert.Empty(await again.Content.ReadAsByteArrayAsync(ct));
            Assert.Equal(tag, again.Headers.ETag?.Tag);
        }

        Assert.Equal(readsOfThePatient, await ReadsAsync(doctor.Id, patient.Id));
        Assert.Equal(ownReads, await ReadsAsync(doctor.Id, doctor.Id));
        var report = await silo2.SendAsync<AccessReport>(HttpMethod.Get, "/api/v1/privacy/access-report", null, patient.AccessToken);
        Assert.Single(report.Accesses, a => a.ActorId == doctor.Id && a.ResourceType == "AppointmentList");

        // A tag that is not the list's, or none (a client that does not use them), gets the list and records the read.
        using (var stale = await ListAsync(silo2, doctor, agenda, "\"0123\""))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        }

        Assert.Equal(readsOfThePatient + 1, await ReadsAsync(doctor.Id, patient.Id));

        // The doctor cancels (from another device): the old tag no longer matches, the new list comes with a new tag.
        await silo1.SendAsync<object>(HttpMethod.Post, $"/api/v1/scheduling/appointments/{booked.AppointmentId}/cancel", new { reason = "Imprevisto" }, doctor.AccessToken);
        using var changed = await ListAsync(silo1, doctor, agenda, tag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(tag, changed.Headers.ETag?.Tag);
        Assert.Contains("cancelled", await changed.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(readsOfThePatient + 2, await ReadsAsync(doctor.Id, patient.Id));

        // The patient's own list works the same way.
        const string mine = "/api/v1/scheduling/appointments?role=patient";
        using var patientsList = await ListAsync(silo2, patient, mine, null);
        using var patientsAgain = await ListAsync(silo2, patient, mine, patientsList.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.NotModified, patientsAgain.StatusCode);
    }

    private static async Task AsSuperuserAsync(NpgsqlConnection db, string sql, object? parameters)
    {
        await using var tx = await db.BeginTransactionAsync();
        await db.ExecuteAsync("SET LOCAL session_replication_role = replica", transaction: tx);
        await db.ExecuteAsync(sql, parameters, tx);
        await tx.CommitAsync();
    }
}
