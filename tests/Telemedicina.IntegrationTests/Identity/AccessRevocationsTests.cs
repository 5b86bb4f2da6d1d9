using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Telemedicina.Identity.Application;
using Telemedicina.Testing;

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

    // A silo whose listening connection fails to open (the database cut it while LISTEN ran, or refused it) opens one
    // again at once instead of reading revocations only at the next poll. The clock never moves here, so the poll
    // (2 min) never comes: only a listening connection brings the revocation.
    [Fact]
    public async Task ASiloWhoseListeningConnectionFailedToOpen_ListensAgainAtOnce_AndHearsTheNextRevocationWithoutThePoll()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var (one, _) = await TwoSilosAsync(clock, ct);
        var direct = new NpgsqlConnectionStringBuilder(ConnectionString);
        await using var forwarder = TcpForwarder.Start("127.0.0.1", direct.Port);
        // Npgsql's default "prefer" encryption modes open a second connection when the first closes during the
        // negotiation: off, so one refused connection is one failed open.
        var forwarded = new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = forwarder.Port, GssEncryptionMode = GssEncryptionMode.Disable, SslMode = SslMode.Disable }.ConnectionString;
        await using var silo = Build(
            clock,
            new Dictionary<string, string?> { ["Identity:RevocationRefresh"] = "00:02:00" },
            services => services.AddSingleton(_ => NpgsqlDataSource.Create(forwarded)));
        var revocations = silo.GetRequiredService<AccessRevocations>();

        // Its first connection is the listening one: refused.
        forwarder.RefuseNext(1);
        await revocations.StartAsync(ct);
        await using (var connection = await Db.OpenConnectionAsync(ct))
        {
            for (var deadline = Deadline.InSeconds(10);
                 await connection.QueryFirstAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN identity_revocations'") < 1;
                 await Task.Delay(50, ct))
            {
                Assert.False(deadline.Passed, "no listening connection 10 s after the first was refused");
            }
        }

        Assert.Equal(1, forwarder.Refused);
        var user = Guid.NewGuid();
        await using (var connection = await Db.OpenConnectionAsync(ct))
        {
            await one.GetRequiredService<AccessRevocations>().RevokeAsync(user, connection);
        }

        for (var deadline = Deadline.InSeconds(5); !revocations.IsRevoked(user, clock.GetUtcNow().AddMinutes(-1)); await Task.Delay(20, ct))
        {
            Assert.False(deadline.Passed, "the revocation was not heard within 5 s");
        }

        await revocations.StopAsync(ct);
    }
}
