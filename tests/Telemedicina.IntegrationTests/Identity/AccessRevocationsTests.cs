using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Telemedicina.Identity.Application;

namespace Telemedicina.IntegrationTests.Identity;

/// <summary>
/// Ended sessions on a real PostgreSQL with a fake clock and two instances as on two silos: the revoking instance
/// refuses the account's older tokens at once, the other after its next read (and tells its listeners once), a token
/// issued at the revocation or later is accepted, other accounts are untouched, and a revocation older than any live
/// token is forgotten.
/// </summary>
public sealed class AccessRevocationsTests() : ModulesTest("revocations")
{
    [Fact]
    public async Task ARevocation_IsSeenAtOnceWhereMade_OnTheOtherSiloAtItsNextRead_AndForgottenAfterTheTokenLifetime()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, 250, TimeSpan.Zero));
        var (silo1, silo2) = await TwoSilosAsync(clock, ct);
        var one = silo1.GetRequiredService<AccessRevocations>();
        var two = silo2.GetRequiredService<AccessRevocations>();
        var heard = new List<Guid>();
        two.Revoked += users => heard.AddRange(users);
        var user = Guid.NewGuid();
        var other = Guid.NewGuid();
        var issued = clock.GetUtcNow().AddMinutes(-3);

        await using (var connection = await Db.OpenConnectionAsync(ct))
        {
            await one.RevokeAsync(user, connection);
        }

        Assert.True(one.IsRevoked(user, issued));
        Assert.False(one.IsRevoked(other, issued));
        Assert.False(two.IsRevoked(user, issued));

        await two.RefreshAsync(ct);
        Assert.True(two.IsRevoked(user, issued));
        Assert.Equal([user], heard);
        await two.RefreshAsync(ct);
        Assert.Equal([user], heard); // told once

        // To the millisecond: a token issued at the revocation or after it is accepted, one just before is not.
        Assert.False(two.IsRevoked(user, clock.GetUtcNow()));
        Assert.False(two.IsRevoked(user, clock.GetUtcNow().AddMilliseconds(1)));
        Assert.True(two.IsRevoked(user, clock.GetUtcNow().AddMilliseconds(-1)));

        // Past the token lifetime (15 min) and its margins no token it could refuse is alive: forgotten.
        clock.Advance(TimeSpan.FromMinutes(17));
        await two.RefreshAsync(ct);
        Assert.False(two.IsRevoked(user, issued));
        await using (var connection = await Db.OpenConnectionAsync(ct))
        {
            Assert.Equal(1, await connection.QueryFirstAsync<int>("SELECT count(*) FROM identity.access_revocations"));
        }

        clock.Advance(TimeSpan.FromDays(1));
        var retention = silo1.GetServices<Telemedicina.Audit.Contracts.IRetentionTask>().OfType<AccessRevocationsRetention>().Single();
        Assert.Equal(1, await retention.ApplyAsync(clock.GetUtcNow(), ct));
    }
}
