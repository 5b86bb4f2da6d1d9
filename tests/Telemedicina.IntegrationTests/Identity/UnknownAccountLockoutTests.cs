using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Telemedicina.Identity.Application;

namespace Telemedicina.IntegrationTests.Identity;

/// <summary>
/// Failed logins of e-mails with no account are counted as Identity counts an account's, on a real PostgreSQL with a
/// fake clock and two instances as on two silos: the fifth failure in a row locks for the lockout duration, failures
/// while locked change nothing, the count starts again after it, and the retention task forgets e-mails nobody tried
/// for 30 days. The e-mail is not stored.
/// </summary>
public sealed class UnknownAccountLockoutTests() : ModulesTest("unknown_lockout")
{
    [Fact]
    public async Task FifthFailureLocks_ForTheLockoutDuration_SharedBySilos_ThenCountsAgain_AndIsForgottenAfter30Days()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var (silo1, silo2) = await TwoSilosAsync(clock, ct);
        var lockouts = new[] { silo1.GetRequiredService<UnknownAccountLockout>(), silo2.GetRequiredService<UnknownAccountLockout>() };
        const string email = "NINGUEM@TESTE.LOCAL";

        // Four failures on alternating silos answer "not locked"; the fifth locks, as an account's fifth does.
        for (var i = 0; i < 4; i++)
        {
            Assert.False(await lockouts[i % 2].FailAsync(email, ct));
        }

        Assert.True(await lockouts[0].FailAsync(email, ct));

        // Another e-mail has its own count.
        Assert.False(await lockouts[1].FailAsync("OUTRO@TESTE.LOCAL", ct));

        // Locked for 15 minutes whatever is tried meanwhile (failures while locked do not extend it).
        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.True(await lockouts[1].FailAsync(email, ct));
        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        // After it, the count starts again from zero.
        for (var i = 0; i < 4; i++)
        {
            Assert.False(await lockouts[i % 2].FailAsync(email, ct));
        }

        Assert.True(await lockouts[1].FailAsync(email, ct));

        await using var db = new NpgsqlConnection(ConnectionString);
        await db.OpenAsync(ct);
        var stored = await db.QueryAsync<byte[]>("SELECT email_hash FROM identity.unknown_account_failures");
        Assert.Equal(2, stored.Count());
        Assert.DoesNotContain(stored, h => System.Text.Encoding.UTF8.GetString(h).Contains("TESTE", StringComparison.OrdinalIgnoreCase));

        // Retention: 30 days after the last attempt the rows go; one tried since stays.
        var retention = silo1.GetServices<Telemedicina.Audit.Contracts.IRetentionTask>().OfType<UnknownAccountFailuresRetention>().Single();
        clock.Advance(TimeSpan.FromDays(29));
        Assert.False(await lockouts[0].FailAsync("OUTRO@TESTE.LOCAL", ct));
        Assert.Equal(0, await retention.ApplyAsync(clock.GetUtcNow(), ct));
        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, await retention.ApplyAsync(clock.GetUtcNow(), ct));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM identity.unknown_account_failures"));

        // The forgotten e-mail counts from zero again.
        Assert.False(await lockouts[0].FailAsync(email, ct));
    }
}
