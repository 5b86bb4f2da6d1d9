using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Telemedicina.Audit;
using Telemedicina.Audit.Contracts;
using Telemedicina.Audit.Privacy;
using Telemedicina.BuildingBlocks.Storage;
using Telemedicina.Identity;

namespace Telemedicina.IntegrationTests.Audit;

/// <summary>
/// The privacy jobs with a fake clock on a real PostgreSQL and file store, two instances as on two
/// silos: an export is built once, a lost request is picked up, the 7-day retention deletes the file
/// (audited), checkpoints follow their interval, and unlawful retention settings are refused.
/// </summary>
public sealed class PrivacyJobsTests() : ModulesTest("privacy")
{
    [Fact]
    public async Task Exports_AreBuiltOnce_LostRequestsArePickedUp_AndDeletedAfterSevenDays_WithCheckpointsOnTheirInterval()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var (silo1, silo2) = await TwoSilosAsync(clock, ct);
        var demo = await IdentityModule.SeedDemoAsync(silo1);
        var files = silo1.GetRequiredService<IFileStore>();
        var jobs = new[] { silo1.GetRequiredService<IPrivacyJobs>(), silo2.GetRequiredService<IPrivacyJobs>() };
        Task TickAsync() => Task.WhenAll(jobs.Select(j => j.RunDueAsync(ct)));

        // Both instances race to build the same request: one bundle, one "built" audit entry.
        var first = (await silo1.GetRequiredService<DataExports>().RequestAsync(demo.PatientId, ct))!;
        await Task.WhenAll(silo1.GetRequiredService<DataExports>().BuildAsync(first.Id, ct), silo2.GetRequiredService<DataExports>().BuildAsync(first.Id, ct));
        await using var db = new NpgsqlConnection(ConnectionString);
        await db.OpenAsync(ct);
        Assert.Equal(1, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit.entries WHERE resource_type = 'DataExport' AND action = 'create' AND resource_id = @id", new { id = first.Id.ToString() }));
        var key = $"exports/{demo.PatientId:N}/{first.Id:N}.json";
        Assert.Equal([key], await files.ListAsync("exports/", ct));

        // A request whose silo died before building it (nothing queued) is built by the jobs.
        var lost = (await silo2.GetRequiredService<DataExports>().RequestAsync(demo.PatientId, ct))!;
        clock.Advance(TimeSpan.FromMinutes(1));
        await TickAsync();
        Assert.Equal("ready", (await silo1.GetRequiredService<DataExports>().FindAsync(lost.Id, demo.PatientId, ct))!.Status);

        // The first tick wrote a checkpoint; the next ones within the interval write none.
        Assert.Single(await files.ListAsync(AuditCheckpoints.Prefix, ct));
        clock.Advance(TimeSpan.FromMinutes(30));
        await TickAsync();
        Assert.Single(await files.ListAsync(AuditCheckpoints.Prefix, ct));

        // Refresh tokens of the patient: two that will have expired more than a token lifetime (14 days) ago by the
        // next tick, one a day short of it, one still live. Only the first two go.
        var nextTick = clock.GetUtcNow().AddDays(7);
        DateTimeOffset[] expiries = [nextTick.AddDays(-15), nextTick.AddDays(-14).AddMinutes(-1), nextTick.AddDays(-13), nextTick.AddDays(1)];
        var families = new List<Guid>();
        foreach (var (expiresAt, i) in expiries.Select((e, i) => (e, i)))
        {
            families.Add(Guid.NewGuid());
            await db.ExecuteAsync(
                """
                INSERT INTO identity.refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, used_at)
                VALUES (gen_random_uuid(), @userId, @family, sha256(convert_to(@family::text, 'UTF8')), @createdAt, @expiresAt, @usedAt)
                """,
                new { userId = demo.PatientId, family = families[^1], createdAt = expiresAt.AddDays(-14), expiresAt, usedAt = i % 2 == 0 ? expiresAt.AddDays(-13) : (DateTimeOffset?)null });
        }

        // Seven days later both files are gone, each deletion audited as retention; the records stay, marked expired.
        clock.Advance(TimeSpan.FromDays(7));
        await TickAsync();
        Assert.Equal(
            expiries[2..].Select(e => e.ToUnixTimeSeconds()),
            (await db.QueryAsync<DateTimeOffset>("SELECT expires_at FROM identity.refresh_tokens WHERE family_id = ANY(@families) ORDER BY expires_at", new { families }))
                .Select(e => e.ToUnixTimeSeconds()));
        Assert.Empty(await files.ListAsync("exports/", ct));
        Assert.Equal(["expired", "expired"], await db.QueryAsync<string>("SELECT status FROM audit.exports ORDER BY requested_at"));
        Assert.Equal(2, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM audit.entries WHERE resource_type = 'DataExport' AND action = 'delete' AND purpose = 'retention'"));
        Assert.Equal(2, (await files.ListAsync(AuditCheckpoints.Prefix, ct)).Count);

        // The second checkpoint counted only the entries since the first, and both counts are the trail's.
        Assert.Equal(
            await db.QueryAsync<long>("SELECT (SELECT count(*) FROM audit.entries e WHERE e.id <= c.last_entry_id) FROM audit.checkpoints c ORDER BY c.id"),
            await db.QueryAsync<long>("SELECT entry_count FROM audit.checkpoints ORDER BY id"));
        Assert.True((await silo1.GetRequiredService<Telemedicina.Audit.Infrastructure.AuditVerifier>().VerifyAsync(ct)).Valid);
    }

    [Theory]
    [InlineData("Privacy:AuditRetentionYears", "4")]
    [InlineData("Privacy:MedicalRecordRetentionYears", "19")]
    [InlineData("Privacy:ExportRetention", "60.00:00:00")]
    public void RetentionBelowTheLegalMinimums_IsRefusedAtStart(string key, string value)
    {
        using var services = Build(TimeProvider.System, new Dictionary<string, string?> { [key] = value });
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<AuditSettings>>().Value);
        Assert.Contains("legal minimums", error.Message, StringComparison.Ordinal);
    }
}
