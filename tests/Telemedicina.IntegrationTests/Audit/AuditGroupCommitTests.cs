using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Telemedicina.Audit;
using Telemedicina.Audit.Contracts;
using Telemedicina.Audit.Infrastructure;
using Telemedicina.BuildingBlocks;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.BuildingBlocks.Storage;
using Telemedicina.Testing;

namespace Telemedicina.IntegrationTests.Audit;

/// <summary>
/// The audit chain under concurrent writers on two instances (as on two silos): every entry is committed once, the
/// chain verifies, and entries recorded while a write is under way share its transaction (one chain lock for many
/// entries) instead of queueing one transaction each behind the lock.
/// </summary>
public sealed class AuditGroupCommitTests() : ThrowawayDatabaseTest("audit")
{
    private const int PerInstance = 300;

    private const int Sequential = 200;

    private readonly string _files = Directory.CreateTempSubdirectory("audit-files-").FullName;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await DatabaseMigrator.MigrateAsync(ConnectionString, [AuditModule.Migrations], NullLogger.Instance, CancellationToken.None);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_files, recursive: true);
    }

    [Fact]
    public async Task ConcurrentEntries_FromTwoInstances_AreAllChained_InFewTransactions()
    {
        var ct = TestContext.Current.CancellationToken;
        using var silo1 = Build();
        using var silo2 = Build();
        var trails = new[] { silo1, silo2 }.Select(s => (AuditTrail)s.GetRequiredService<IAuditTrail>()).ToArray();
        var subject = Guid.NewGuid();

        var watch = Stopwatch.StartNew();
        await Task.WhenAll(trails.SelectMany((trail, t) => Enumerable.Range(0, PerInstance).Select(i => Task.Run(() =>
            trail.RecordAsync(new AuditEvent(AuditActions.Read, "Test", $"{t}-{i}", Guid.NewGuid(), "doctor", subject, Purpose: "care",
                Details: new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }), ct), ct))));
        watch.Stop();

        await using var db = new NpgsqlConnection(ConnectionString);
        var ids = (await db.QueryAsync<string>("SELECT resource_id FROM audit.entries WHERE subject_id = @subject", new { subject })).ToList();
        Assert.Equal(2 * PerInstance, ids.Count);
        Assert.Equal(2 * PerInstance, ids.Distinct(StringComparer.Ordinal).Count());

        var verification = await silo1.GetRequiredService<AuditVerifier>().VerifyAsync(ct);
        Assert.True(verification.Valid, verification.Reason);
        Assert.Equal(2 * PerInstance, verification.Checked);

        var transactions = trails.Sum(t => t.Transactions);
        Figures.Report($"audit group commit: {2 * PerInstance} concurrent entries from 2 instances in {transactions} transactions, " +
            $"{watch.Elapsed.TotalMilliseconds:0} ms ({2 * PerInstance / watch.Elapsed.TotalSeconds:0} entries/s)");
        Assert.True(transactions <= PerInstance / 2, $"{transactions} transactions for {2 * PerInstance} entries: not grouped");

        // Alone, an entry is written at once (a batch of one) and the chain goes on from the batches; one after the
        // other, each waits for its own transaction (what an audited request adds to its answer when the trail is idle).
        var before = trails[1].Transactions;
        var alone = Stopwatch.StartNew();
        for (var i = 0; i < Sequential; i++)
        {
            await trails[1].RecordAsync(new AuditEvent(AuditActions.Read, "Test", $"alone-{i}", null, null, subject), ct);
        }

        alone.Stop();
        Assert.Equal(Sequential, trails[1].Transactions - before);
        Assert.True((await silo2.GetRequiredService<AuditVerifier>().VerifyAsync(ct)).Valid);
        Figures.Report($"audit entry alone: {alone.Elapsed.TotalMilliseconds / Sequential:0.00} ms each ({Sequential} one after the other, one transaction each)");
    }

    private ServiceProvider Build()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ConnectionString,
            ["Storage:FileSystem:Root"] = _files,
        });
        builder.Services.AddLogging();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new NodeInfo("test"));
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(ConnectionString));
        builder.Services.AddFileStore(builder.Configuration);
        builder.AddAuditModule();
        return builder.Services.BuildServiceProvider();
    }
}
