using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService;
using Orleans.Storage;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.Testing;
using GenericHost = Microsoft.Extensions.Hosting.Host;

namespace Telemedicina.IntegrationTests.Orleans;

/// <summary>
/// Our own PostgreSQL schema for the Orleans 10.4.2 ADO.NET providers (Host's
/// Database/Migrations/0001-0004), exercised by the real providers: real silos on a real
/// PostgreSQL, plus the provider classes driven directly where a race or an edge case has to be
/// forced.
/// </summary>
public sealed partial class OrleansSchemaTests(OrleansSchemaTests.Database postgres) : IClassFixture<OrleansSchemaTests.Database>
{
    internal const string StorageName = "schema-tests";
    internal const string DeletingStorageName = "schema-tests-delete-on-clear";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Migrations_RunTwiceConcurrently_ApplyOnceAndStoreEveryQueryIntact()
    {
        var ct = TestContext.Current.CancellationToken;
        var connectionString = await postgres.Server.CreateDatabaseAsync("orleans_migrations", ct);
        const string Journal = "SELECT scriptname, applied FROM orleans.schema_versions ORDER BY scriptname";

        // Both runs succeed: under the advisory lock one applies the scripts and the other finds them
        // journaled (re-running any script would fail on CREATE TABLE).
        await Task.WhenAll(
            DatabaseMigrator.MigrateAsync(connectionString, [OrleansMigrations], NullLogger.Instance, ct),
            DatabaseMigrator.MigrateAsync(connectionString, [OrleansMigrations], NullLogger.Instance, ct));
        var journal = await QueryAsync(connectionString, Journal, r => (Script: r.GetString(0), Applied: r.GetDateTime(1)), ct);
        Assert.Equal(
            ["0001_orleans_main.sql", "0002_orleans_clustering.sql", "0003_orleans_persistence.sql", "0004_orleans_reminders.sql"],
            journal.Select(j => j.Script[(j.Script.LastIndexOf(ModuleMigrations.ResourceMarker, StringComparison.Ordinal) + ModuleMigrations.ResourceMarker.Length)..]));

        // A later run is a no-op: the journal is untouched.
        await DatabaseMigrator.MigrateAsync(connectionString, [OrleansMigrations], NullLogger.Instance, ct);
        Assert.Equal(journal, await QueryAsync(connectionString, Journal, r => (Script: r.GetString(0), Applied: r.GetDateTime(1)), ct));

        // DbUp splits scripts into commands itself: every dollar-quoted text (with its semicolons,
        // quotes and backslashes) must arrive exactly as written in the script.
        var stored = (await QueryAsync(connectionString, "SELECT querykey, querytext FROM orleans.orleansquery", r => (Key: r.GetString(0), Text: r.GetString(1)), ct: ct))
            .ToDictionary(q => q.Key, q => q.Text, StringComparer.Ordinal);
        var written = ScriptQueries();
        Assert.Equal(written.Keys.Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, text) in written)
        {
            Assert.Equal(text, stored[key]);
        }

        Assert.Contains(";", stored["DeleteMembershipTableEntriesKey"], StringComparison.Ordinal);
        Assert.Contains(@"\d{4}", stored["CleanupDefunctSiloEntriesKey"], StringComparison.Ordinal);

        // Every key the 10.4.2 assemblies insist on (the check each provider runs at start-up).
        foreach (var key in RequiredQueryKeys())
        {
            Assert.True(stored.ContainsKey(key), $"query key {key} required by the 10.4.2 providers is missing");
        }

        // No text refers to a parameter the 10.4.2 providers do not send (an unknown @Name would reach
        // PostgreSQL as the @ operator).
        foreach (var (key, text) in stored)
        {
            var unknown = ParameterNames(text).Except(ParametersSentBy(key), StringComparer.Ordinal).ToArray();
            Assert.True(unknown.Length == 0, $"{key} uses parameters 10.4.2 does not send: {string.Join(", ", unknown)}");
        }
    }

    [Fact]
    public async Task ThreeSilos_StartingAtOnce_FormOneClusterAndGracefulStopIsRecordedAsDead()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = ClusterIds.New();
        var silos = await StartSilosAsync(cluster, 3, ct);
        var running = silos.ToList();
        try
        {
            var rows = await EventuallyAsync(
                () => MembershipRowsAsync(cluster.ClusterId, ct),
                r => r.Count == 3 && r.All(m => m.Status == (int)SiloStatus.Active),
                "three Active rows in orleans.membership");
            Assert.Equal(3, rows.Select(r => r.Port).Distinct().Count());
            foreach (var silo in silos)
            {
                await EventuallyAsync(
                    () => Task.FromResult(ActiveMembers(silo)),
                    n => n == 3,
                    "every silo's membership view to show 3 Active silos");
            }

            // The version row counts every successful membership change; each silo made at least
            // its insert and its Joining -> Active update.
            var version = await ScalarAsync<int>(postgres.ConnectionString, "SELECT version FROM orleans.membership_version WHERE deployment_id = @id", ct, ("id", cluster.ClusterId));
            Assert.True(version >= 6, $"membership version {version}");

            // A client finds the gateways through GatewaysQueryKey and reaches the cluster.
            var client = await StartClientAsync(cluster, ct);
            try
            {
                var probe = client.Services.GetRequiredService<IClusterClient>().GetGrain<IStateProbeGrain>("via-gateway-" + Guid.NewGuid());
                Assert.Null((await probe.Read()).Value);
            }
            finally
            {
                await StopAllAsync([client]);
            }

            var leaving = silos[2];
            var leavingPort = SiloPort(leaving);
            running.Remove(leaving);
            await StopAllAsync([leaving]);

            rows = await EventuallyAsync(
                () => MembershipRowsAsync(cluster.ClusterId, ct),
                r => r.Count == 3 && r.Single(m => m.Port == leavingPort).Status == (int)SiloStatus.Dead
                     && r.Count(m => m.Status == (int)SiloStatus.Active) == 2,
                "the stopped silo's row to read Dead and the other two Active");
            foreach (var silo in silos.Take(2))
            {
                await EventuallyAsync(
                    () => Task.FromResult(ActiveMembers(silo)),
                    n => n == 2,
                    "the remaining silos' membership views to show 2 Active silos");
            }
        }
        finally
        {
            await StopAllAsync(running);
        }
    }

    [Fact]
    public async Task MembershipTable_ConcurrentWritersOnOneVersion_ExactlyOneWinsAndCleanupRemovesOnlyDefunctRows()
    {
        var ct = TestContext.Current.CancellationToken;
        var clusterId = ClusterIds.New().ClusterId;
        var tables = Enumerable.Range(0, 8).Select(_ => NewMembershipTable(clusterId)).ToArray();
        await Task.WhenAll(tables.Select(t => t.InitializeMembershipTableAsync(tryInitTableVersion: true, ct)));
        Assert.Equal(1, await ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM orleans.membership_version WHERE deployment_id = @id", ct, ("id", clusterId)));

        var table = tables[0];
        var empty = await table.ReadAllAsync(ct);
        Assert.Empty(empty.Members);
        Assert.Equal(0, empty.Version.Version);

        // Eight silos insert themselves against the same version at once: one wins.
        var started = DateTime.UtcNow.AddMinutes(-1);
        var entries = Enumerable.Range(0, tables.Length).Select(i => Entry(30_000 + i, SiloStatus.Joining, started)).ToArray();
        var inserted = await Task.WhenAll(tables.Select((t, i) => t.InsertRowAsync(entries[i], empty.Version.Next(), ct)));
        Assert.Single(inserted, won => won);
        var afterInsert = await table.ReadAllAsync(ct);
        Assert.Single(afterInsert.Members);
        Assert.Equal(1, afterInsert.Version.Version);
        var winner = entries[Array.IndexOf(inserted, true)];

        // A second insert of the same silo is refused without touching the version.
        Assert.False(await table.InsertRowAsync(winner, afterInsert.Version.Next(), ct));
        Assert.Equal(1, (await table.ReadAllAsync(ct)).Version.Version);

        // Concurrent updates on one version: one wins. A stale version and a missing row lose.
        var (row, etag) = afterInsert.Members[0];
        var updates = await Task.WhenAll(tables.Select((t, i) =>
        {
            var copy = Copy(row, i % 2 == 0 ? SiloStatus.Active : SiloStatus.ShuttingDown);
            return t.UpdateRowAsync(copy, etag, afterInsert.Version.Next(), ct);
        }));
        Assert.Single(updates, won => won);
        Assert.False(await table.UpdateRowAsync(Copy(row, SiloStatus.Active), etag, afterInsert.Version.Next(), ct));
        var afterUpdate = await table.ReadAllAsync(ct);
        Assert.Equal(2, afterUpdate.Version.Version);
        var missing = Entry(31_000, SiloStatus.Active, started);
        Assert.False(await table.UpdateRowAsync(missing, afterUpdate.Version.VersionEtag, afterUpdate.Version.Next(), ct));
        Assert.Equal(2, (await table.ReadAllAsync(ct)).Version.Version);

        // Heartbeats never move the version; ReadRow returns the row with the version.
        var alive = WholeMicroseconds(DateTime.UtcNow);
        await table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = winner.SiloAddress, IAmAliveTime = alive }, ct);
        var single = await table.ReadRowAsync(winner.SiloAddress, ct);
        Assert.Equal(2, single.Version.Version);
        var (read, _) = Assert.Single(single.Members);
        Assert.Equal(alive, read.IAmAliveTime);
        var none = await table.ReadRowAsync(missing.SiloAddress, ct);
        Assert.Empty(none.Members);
        Assert.Equal(2, none.Version.Version);

        // Defunct-silo cleanup: only Dead rows whose start, heartbeat and suspicions are all older
        // than the cutoff go, and the version stays.
        var old = DateTime.UtcNow.AddDays(-3);
        var cutoff = DateTimeOffset.UtcNow.AddDays(-1);
        var longDead = Entry(32_000, SiloStatus.Dead, old);
        var recentlySuspected = Entry(32_001, SiloStatus.Dead, old);
        recentlySuspected.SuspectTimes = [Tuple.Create(winner.SiloAddress, DateTime.UtcNow)];
        var oldButSuspectedLongAgo = Entry(32_002, SiloStatus.Dead, old);
        oldButSuspectedLongAgo.SuspectTimes = [Tuple.Create(winner.SiloAddress, old.AddHours(1))];
        var silentButActive = Entry(32_003, SiloStatus.Active, old);
        foreach (var entry in new[] { longDead, recentlySuspected, oldButSuspectedLongAgo, silentButActive })
        {
            var current = await table.ReadAllAsync(ct);
            Assert.True(await table.InsertRowAsync(Copy(entry, SiloStatus.Joining), current.Version.Next(), ct));
            current = await table.ReadAllAsync(ct);
            Assert.True(await table.UpdateRowAsync(entry, current.Version.VersionEtag, current.Version.Next(), ct));
        }

        var versionBeforeCleanup = (await table.ReadAllAsync(ct)).Version.Version;
        await table.CleanupDefunctSiloEntriesAsync(cutoff, ct);
        var remaining = (await MembershipRowsAsync(clusterId, ct)).Select(r => r.Port).Order().ToArray();
        Assert.Equal([winner.SiloAddress.Endpoint.Port, 32_001, 32_003], remaining);
        Assert.Equal(versionBeforeCleanup, (await table.ReadAllAsync(ct)).Version.Version);

        // The bulk key (used when the per-row key is absent) has the same selection.
        var snapshot = await table.ReadAllAsync(ct);
        Assert.True(await table.InsertRowAsync(Copy(oldButSuspectedLongAgo, SiloStatus.Joining), snapshot.Version.Next(), ct));
        snapshot = await table.ReadAllAsync(ct);
        Assert.True(await table.UpdateRowAsync(oldButSuspectedLongAgo, snapshot.Version.VersionEtag, snapshot.Version.Next(), ct));
        var bulk = await StoredQueryAsync(postgres.ConnectionString, "CleanupDefunctSiloEntriesKey", ct);
        await ExecuteAsync(postgres.ConnectionString, bulk, ct, ("DeploymentId", clusterId), ("IAmAliveTime", cutoff.UtcDateTime));
        remaining = (await MembershipRowsAsync(clusterId, ct)).Select(r => r.Port).Order().ToArray();
        Assert.Equal([winner.SiloAddress.Endpoint.Port, 32_001, 32_003], remaining);

        // Deleting the deployment removes its rows and its version row (two statements in one text).
        await table.DeleteMembershipTableEntriesAsync(clusterId, ct);
        Assert.Equal(0, await ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM orleans.membership WHERE deployment_id = @id", ct, ("id", clusterId)));
        Assert.Equal(0, await ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM orleans.membership_version WHERE deployment_id = @id", ct, ("id", clusterId)));
    }

    [Fact]
    public async Task ConditionalWrites_SecondWriterOnTheSameVersion_WaitsForTheFirstAndLoses()
    {
        // The races forced deterministically: the first writer's transaction is held open until the
        // second writer is seen blocked on its lock, then committed. Parameters are the ones (and the
        // types) the 10.4.2 providers send.
        var ct = TestContext.Current.CancellationToken;
        var cs = postgres.ConnectionString;
        var clusterId = ClusterIds.New().ClusterId;
        Assert.True(await RunStoredAsync<bool>(cs, "InsertMembershipVersionKey", ct, ("DeploymentId", clusterId)));
        Assert.False(await RunStoredAsync<bool>(cs, "InsertMembershipVersionKey", ct, ("DeploymentId", clusterId)));

        // Two silos join on version 0: the second waits on the version row, then loses.
        var (firstJoin, secondJoin) = await RaceAsync<bool>("InsertMembershipKey",
            MembershipInsert(clusterId, 40_001, version: 0), MembershipInsert(clusterId, 40_002, version: 0), ct);
        Assert.True(firstJoin);
        Assert.False(secondJoin);
        Assert.Equal(1, await ScalarAsync<int>(cs, "SELECT version FROM orleans.membership_version WHERE deployment_id = @id", ct, ("id", clusterId)));
        Assert.Equal([40_001], (await MembershipRowsAsync(clusterId, ct)).Select(r => r.Port));

        // Two status changes on version 1: one wins, and the version moves once.
        var (firstUpdate, secondUpdate) = await RaceAsync<bool>("UpdateMembershipKey",
            MembershipUpdate(clusterId, 40_001, SiloStatus.Active, version: 1), MembershipUpdate(clusterId, 40_001, SiloStatus.Dead, version: 1), ct);
        Assert.True(firstUpdate);
        Assert.False(secondUpdate);
        Assert.Equal(2, await ScalarAsync<int>(cs, "SELECT version FROM orleans.membership_version WHERE deployment_id = @id", ct, ("id", clusterId)));
        Assert.Equal((int)SiloStatus.Active, (await MembershipRowsAsync(clusterId, ct)).Single().Status);

        // Two first writes of one grain state (NULL key extension): the second waits on the unique
        // key, then inserts nothing and answers NULL.
        var serviceId = ClusterIds.New().ServiceId;
        var grainN1 = Random.Shared.NextInt64();
        var (firstInsert, secondInsert) = await RaceAsync<int?>("WriteToStorageKey",
            StateWrite(serviceId, grainN1, version: null, "a"), StateWrite(serviceId, grainN1, version: null, "b"), ct);
        Assert.Equal(1, firstInsert);
        Assert.Null(secondInsert);

        // Two writes holding version 1: the second waits on the row, then matches nothing.
        var (firstWrite, secondWrite) = await RaceAsync<int?>("WriteToStorageKey",
            StateWrite(serviceId, grainN1, version: 1, "c"), StateWrite(serviceId, grainN1, version: 1, "d"), ct);
        Assert.Equal(2, firstWrite);
        Assert.Null(secondWrite);
        Assert.Equal("c", Encoding.UTF8.GetString(await ScalarAsync<byte[]>(cs, "SELECT payload FROM orleans.grain_state WHERE service_id = @s", ct, ("s", serviceId))));
    }

    [Fact]
    public async Task GrainStorage_RoundTripsThroughDeactivation_DetectsStaleWritersAndClears()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = ClusterIds.New();
        var silo = (await StartSilosAsync(cluster, 1, ct))[0];
        try
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageName);
            var key = "probe-" + Guid.NewGuid();
            var grain = grains.GetGrain<IStateProbeGrain>(key);
            var grainId = grain.GetGrainId();

            // A grain that was never written reads the default state, no ETag, no record.
            var fresh = await grain.Read();
            Assert.Null(fresh.Value);
            Assert.Null(fresh.ETag);
            Assert.False(fresh.RecordExists);

            // First write, then an update; the row holds the serialized state (JSON by default).
            await grain.Write("first");
            await grain.Write("second");
            var row = await StateRowAsync(cluster.ServiceId, key, ct);
            Assert.Equal(2, row.Version);
            Assert.Equal("second", row.JsonValue);

            // A new activation reads what the old one wrote.
            var before = await grain.Read();
            await grain.Deactivate();
            var after = await EventuallyAsync(grain.Read, v => v.Activation != before.Activation, "the grain to come back in a new activation");
            Assert.Equal("second", after.Value);
            Assert.Equal("2", after.ETag);
            Assert.True(after.RecordExists);

            // Someone else writes behind the grain's back: its next write carries a stale ETag.
            var outsider = new GrainState<ProbeState>();
            await storage.ReadStateAsync(StateProbeGrain.StateName, grainId, outsider);
            Assert.Equal("2", outsider.ETag);
            Assert.Equal("second", outsider.State?.Value);
            outsider.State = new ProbeState { Value = "outsider" };
            await storage.WriteStateAsync(StateProbeGrain.StateName, grainId, outsider);
            Assert.Equal("3", outsider.ETag);
            await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Write("stale"));
            Assert.Equal("outsider", (await StateRowAsync(cluster.ServiceId, key, ct)).JsonValue);

            // Two writers holding the same ETag: exactly one wins.
            var racers = Enumerable.Range(0, 6).Select(i => new GrainState<ProbeState>(new ProbeState { Value = "racer-" + i }, outsider.ETag)).ToArray();
            var results = await Task.WhenAll(racers.Select(r => Outcome(storage.WriteStateAsync(StateProbeGrain.StateName, grainId, r))));
            Assert.Single(results, ok => ok is null);
            Assert.All(results.Where(e => e is not null), e => Assert.IsType<InconsistentStateException>(e));
            Assert.Equal(4, (await StateRowAsync(cluster.ServiceId, key, ct)).Version);

            // Clear through the grain: the row stays with no payload and a new version; a new
            // activation reads the default state again.
            await grain.Deactivate();
            var reloaded = await EventuallyAsync(grain.Read, v => v.Activation != after.Activation, "a fresh activation after the outside writes");
            Assert.Equal("4", reloaded.ETag);
            await grain.Clear();
            var cleared = await StateRowAsync(cluster.ServiceId, key, ct);
            Assert.False(cleared.HasPayload);
            Assert.Equal(5, cleared.Version);
            await grain.Deactivate();
            var afterClear = await EventuallyAsync(grain.Read, v => v.Activation != reloaded.Activation, "a fresh activation after the clear");
            Assert.Null(afterClear.Value);
            Assert.False(afterClear.RecordExists);
            Assert.Equal("5", afterClear.ETag);

            // A writer holding the pre-clear ETag loses too.
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateProbeGrain.StateName, grainId, new GrainState<ProbeState>(new ProbeState(), "4")));
            await grain.Write("after-clear");
            Assert.Equal(6, (await StateRowAsync(cluster.ServiceId, key, ct)).Version);
        }
        finally
        {
            await StopAllAsync([silo]);
        }
    }

    [Fact]
    public async Task GrainStorage_ConcurrentFirstWritesAndDeleteOnClear_KeepOneRowPerGrain()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = ClusterIds.New();
        var silo = (await StartSilosAsync(cluster, 1, ct))[0];
        try
        {
            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageName);
            var deleting = silo.Services.GetRequiredKeyedService<IGrainStorage>(DeletingStorageName);

            // Integer and Guid keys without extension store a NULL extension: still one row per grain.
            foreach (var grainId in new[]
            {
                GrainId.Create(GrainType.Create("probe"), GrainIdKeyExtensions.CreateIntegerKey(Random.Shared.NextInt64())),
                GrainId.Create(GrainType.Create("probe"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid())),
                GrainId.Create(GrainType.Create("probe"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid(), "ext")),
            })
            {
                var missing = new GrainState<ProbeState>();
                await storage.ReadStateAsync("first-write", grainId, missing);
                Assert.Null(missing.ETag);
                Assert.False(missing.RecordExists);

                var racers = Enumerable.Range(0, 6).Select(i => new GrainState<ProbeState>(new ProbeState { Value = "first-" + i }, null)).ToArray();
                var results = await Task.WhenAll(racers.Select(r => Outcome(storage.WriteStateAsync("first-write", grainId, r))));
                Assert.Single(results, ok => ok is null);
                Assert.All(results.Where(e => e is not null), e => Assert.IsType<InconsistentStateException>(e));

                var read = new GrainState<ProbeState>();
                await storage.ReadStateAsync("first-write", grainId, read);
                Assert.Equal("1", read.ETag);
                Assert.Equal(racers.Single(r => r.ETag == "1").State?.Value, read.State?.Value);
            }

            Assert.Equal(3, await ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM orleans.grain_state WHERE service_id = @s AND grain_type = 'first-write'", ct, ("s", cluster.ServiceId)));

            // DeleteStateOnClear = true: the row goes, the ETag resets and the next write starts over.
            var target = GrainId.Create(GrainType.Create("probe"), "delete-on-clear-" + Guid.NewGuid());
            var state = new GrainState<ProbeState>(new ProbeState { Value = "doomed" });
            await deleting.WriteStateAsync("deletable", target, state);
            await deleting.WriteStateAsync("deletable", target, state);
            Assert.Equal("2", state.ETag);
            var stale = new GrainState<ProbeState>(new ProbeState(), "1");
            await Assert.ThrowsAsync<InconsistentStateException>(() => deleting.ClearStateAsync("deletable", target, stale));
            await deleting.ClearStateAsync("deletable", target, state);
            Assert.Null(state.ETag);
            Assert.False(state.RecordExists);
            Assert.Equal(0, await ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM orleans.grain_state WHERE service_id = @s AND grain_type = 'deletable'", ct, ("s", cluster.ServiceId)));
            var reread = new GrainState<ProbeState>();
            await deleting.ReadStateAsync("deletable", target, reread);
            Assert.Null(reread.ETag);
            Assert.Null(reread.State?.Value);
            state.State = new ProbeState { Value = "reborn" };
            await deleting.WriteStateAsync("deletable", target, state);
            Assert.Equal("1", state.ETag);
        }
        finally
        {
            await StopAllAsync([silo]);
        }
    }

    [Fact]
    public async Task Reminders_FireFromTheTable_AndRangeReadsMatchTheHashRing()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = ClusterIds.New();
        var silo = (await StartSilosAsync(cluster, 1, ct))[0];
        try
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var key = "ticker-" + Guid.NewGuid();
            var grain = grains.GetGrain<IReminderProbeGrain>(key);
            var grainId = grain.GetGrainId().ToString();

            await grain.StartTicking("tick", TimeSpan.FromSeconds(1));
            var row = await EventuallyAsync(
                () => QueryAsync(postgres.ConnectionString,
                    "SELECT period, grain_hash, version FROM orleans.reminders WHERE service_id = @s AND grain_id = @g AND reminder_name = 'tick'",
                    r => (Period: r.GetInt64(0), Hash: r.GetInt32(1), Version: r.GetInt32(2)), ct, ("s", cluster.ServiceId), ("g", grainId)),
                rows => rows.Count == 1,
                "the reminder row in orleans.reminders");
            Assert.Equal(1000L, row[0].Period);
            Assert.Equal((int)grain.GetGrainId().GetUniformHashCode(), row[0].Hash);

            await EventuallyAsync(() => Task.FromResult(ReminderProbeGrain.Ticks(key)), n => n >= 2, "the reminder to fire twice");

            await grain.StopTicking("tick");
            Assert.Equal(0, await ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM orleans.reminders WHERE service_id = @s AND grain_id = @g", ct, ("s", cluster.ServiceId), ("g", grainId)));

            // The provider's table directly: upsert, versioned delete, reads by grain, row and range.
            var table = silo.Services.GetRequiredService<IReminderTable>();
            var far = WholeMicroseconds(DateTime.UtcNow.AddDays(1)); // beyond the loading window: the silo will not try to fire them
            var entries = Enumerable.Range(0, 48)
                .Select(i => new ReminderEntry { GrainId = GrainId.Create("ring-probe", "g" + i), ReminderName = "r", StartAt = far, Period = TimeSpan.FromHours(1) })
                .Concat([new ReminderEntry { GrainId = GrainId.Create("ring-probe", "long"), ReminderName = "long", StartAt = far, Period = TimeSpan.FromDays(30) }])
                .ToArray();
            foreach (var entry in entries)
            {
                entry.ETag = await table.UpsertRow(entry);
                Assert.Equal("0", entry.ETag);
            }

            var again = await table.UpsertRow(entries[0]) ?? throw new InvalidOperationException("The upsert returned no ETag.");
            Assert.Equal("1", again);
            Assert.False(await table.RemoveRow(entries[0].GrainId, "r", "0"));
            Assert.True(await table.RemoveRow(entries[0].GrainId, "r", again));
            Assert.False(await table.RemoveRow(entries[0].GrainId, "r", again));
            Assert.Null(await table.ReadRow(entries[0].GrainId, "r"));
            var live = entries.Skip(1).ToArray();

            var longOne = await table.ReadRow(GrainId.Create("ring-probe", "long"), "long");
            Assert.NotNull(longOne);
            Assert.Equal(TimeSpan.FromDays(30), longOne.Period);
            Assert.Equal(far, longOne.StartAt);
            Assert.Single((await table.ReadRows(live[0].GrainId)).Reminders);

            var hashes = live.Select(e => e.GrainId.GetUniformHashCode()).ToArray();
            var ranges = new List<(uint Begin, uint End)>
            {
                (0, 0), (0x7FFF_FFFF, 0x7FFF_FFFF), // whole ring
                (0x0000_0000, 0x8000_0000), (0x8000_0000, 0x0000_0000), // halves, unsigned split
                (0x4000_0000, 0xC000_0000), (0xC000_0000, 0x4000_0000), // halves across the signed split
                (0xF000_0000, 0x1000_0000), (0x7000_0000, 0x9000_0000), // short arcs over 0 and over 2^31
            };
            foreach (var h in hashes.Take(12))
            {
                ranges.Add((h - 1, h));
                ranges.Add((h, h + 1));
                ranges.Add((h, h - 1));
                ranges.Add((h + 0x4000_0000, h));
            }

            foreach (var (begin, end) in ranges)
            {
                var expected = live.Where(e => InArc(e.GrainId.GetUniformHashCode(), begin, end)).Select(e => e.GrainId.ToString()).Order(StringComparer.Ordinal);
                var actual = (await table.ReadRows(begin, end)).Reminders.Select(e => e.GrainId.ToString()).Order(StringComparer.Ordinal);
                Assert.True(expected.SequenceEqual(actual), $"range ({begin:X8}, {end:X8}]: expected [{string.Join(", ", expected)}], read [{string.Join(", ", actual)}]");
            }

            await table.TestOnlyClearTable();
            Assert.Equal(0, await ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM orleans.reminders WHERE service_id = @s", ct, ("s", cluster.ServiceId)));
        }
        finally
        {
            await StopAllAsync([silo]);
        }
    }

    // PostgreSQL keeps microseconds; values with whole microseconds round-trip exactly.
    private static DateTime WholeMicroseconds(DateTime value) => new(value.Ticks - (value.Ticks % 10), DateTimeKind.Utc);

    // (begin, end] on the ring of uint hashes; begin == end is the whole ring.
    private static bool InArc(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private static ModuleMigrations OrleansMigrations { get; } = new("Orleans", "orleans", Assembly.Load("Telemedicina.Host"));

    private static Dictionary<string, string> ScriptQueries()
    {
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        var assembly = OrleansMigrations.Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.Contains(ModuleMigrations.ResourceMarker, StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            foreach (Match match in QueryRow().Matches(reader.ReadToEnd()))
            {
                queries.Add(match.Groups["key"].Value, match.Groups["text"].Value);
            }
        }

        return queries;
    }

    [GeneratedRegex(@"\('(?<key>\w+)',\s*\$q\$(?<text>.*?)\$q\$\)", RegexOptions.Singleline)]
    private static partial Regex QueryRow();

    [GeneratedRegex(@"(?<![\w@])@(?<name>[A-Za-z]\w*)")]
    private static partial Regex Parameter();

    private static IEnumerable<string> ParameterNames(string text) =>
        Parameter().Matches(text).Select(m => m.Groups["name"].Value).Distinct(StringComparer.Ordinal);

    // The keys each 10.4.2 provider requires, read from its assembly (DbStoredQueries' properties).
    private static IEnumerable<string> RequiredQueryKeys()
    {
        foreach (var assembly in new[] { typeof(AdoNetClusteringTable).Assembly, typeof(AdoNetReminderTableOptions).Assembly })
        {
            var stored = assembly.GetTypes().Single(t => t.Name == "DbStoredQueries");
            foreach (var property in stored.GetProperties(BindingFlags.Instance | BindingFlags.NonPublic))
            {
                yield return property.Name;
            }
        }

        // Grain storage reads these by name (DeleteStorageKey only with DeleteStateOnClear).
        foreach (var key in new[] { "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey" })
        {
            yield return key;
        }
    }

    // Parameter names the 10.4.2 providers add to each query (read from the 10.4.2 assemblies).
    private static string[] ParametersSentBy(string key) => key switch
    {
        "InsertMembershipVersionKey" or "MembershipReadAllKey" or "DeleteMembershipTableEntriesKey" => ["DeploymentId"],
        "GatewaysQueryKey" => ["DeploymentId", "Status"],
        "MembershipReadRowKey" => ["DeploymentId", "Address", "Port", "Generation"],
        "UpdateIAmAlivetimeKey" => ["DeploymentId", "Address", "Port", "Generation", "IAmAliveTime"],
        "InsertMembershipKey" => ["DeploymentId", "Address", "Port", "Generation", "SiloName", "HostName", "Status", "ProxyPort", "StartTime", "IAmAliveTime", "Version"],
        "UpdateMembershipKey" => ["DeploymentId", "Address", "Port", "Generation", "Status", "SuspectTimes", "IAmAliveTime", "Version"],
        "CleanupDefunctSiloEntriesKey" => ["DeploymentId", "IAmAliveTime"],
        "CleanupDefunctSiloEntryKey" => ["DeploymentId", "Address", "Port", "Generation", "SuspectTimes", "StartTime", "IAmAliveTime"],
        "ReadFromStorageKey" => ["GrainIdHash", "GrainIdN0", "GrainIdN1", "GrainTypeHash", "GrainTypeString", "GrainIdExtensionString", "ServiceId"],
        "WriteToStorageKey" => ["GrainIdHash", "GrainIdN0", "GrainIdN1", "GrainTypeHash", "GrainTypeString", "GrainIdExtensionString", "ServiceId", "GrainStateVersion", "PayloadBinary"],
        "ClearStorageKey" or "DeleteStorageKey" => ["GrainIdHash", "GrainIdN0", "GrainIdN1", "GrainTypeHash", "GrainTypeString", "GrainIdExtensionString", "ServiceId", "GrainStateVersion"],
        "ReadReminderRowsKey" => ["ServiceId", "GrainId"],
        "ReadRangeRows1Key" or "ReadRangeRows2Key" => ["ServiceId", "BeginHash", "EndHash"],
        "ReadReminderRowKey" => ["ServiceId", "GrainId", "ReminderName"],
        "UpsertReminderRowKey" => ["ServiceId", "GrainHash", "GrainId", "ReminderName", "StartTime", "Period"],
        "DeleteReminderRowKey" => ["ServiceId", "GrainId", "ReminderName", "Version"],
        "DeleteReminderRowsKey" => ["ServiceId"],
        _ => throw new InvalidOperationException($"Unexpected query key {key}: the 10.4.2 providers do not read it."),
    };

    // Starts the silos at once (they race for the version row and for the membership version).
    private async Task<IHost[]> StartSilosAsync(ClusterIds cluster, int count, CancellationToken cancellationToken)
    {
        var starts = Enumerable.Range(0, count).Select(_ => StartSiloAsync(cluster, cancellationToken)).ToArray();
        try
        {
            return await Task.WhenAll(starts);
        }
        catch
        {
            await StopAllAsync(starts.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result));
            throw;
        }
    }

    private async Task<IHost> StartSiloAsync(ClusterIds cluster, CancellationToken cancellationToken)
    {
        var orleansConnection = postgres.OrleansConnectionString;
        var builder = GenericHost.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, PostgresServer.FreeTcpPort(), PostgresServer.FreeTcpPort());
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = orleansConnection;
            });
            silo.AddAdoNetGrainStorage(StorageName, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = orleansConnection;
            });
            silo.AddAdoNetGrainStorage(DeletingStorageName, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = orleansConnection;
                o.DeleteStateOnClear = true;
            });
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = orleansConnection;
            });
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        });

        var host = builder.Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        try
        {
            await host.StartAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new TimeoutException($"A silo of cluster {cluster.ClusterId} did not start within {Patience}.");
        }

        return host;
    }

    private async Task<IHost> StartClientAsync(ClusterIds cluster, CancellationToken cancellationToken)
    {
        var orleansConnection = postgres.OrleansConnectionString;
        var builder = GenericHost.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = orleansConnection;
            });
        });
        var host = builder.Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        await host.StartAsync(timeout.Token);
        return host;
    }

    private static async Task StopAllAsync(IEnumerable<IHost> hosts)
    {
        await Task.WhenAll(hosts.Select(async host =>
        {
            using var timeout = new CancellationTokenSource(Patience);
            try
            {
                await host.StopAsync(timeout.Token);
            }
            finally
            {
                host.Dispose();
            }
        }));
    }

    private static int ActiveMembers(IHost silo) =>
        silo.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);

    private static int SiloPort(IHost silo) =>
        silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.Port;

    private AdoNetClusteringTable NewMembershipTable(string clusterId) =>
        new(postgres.Services,
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "membership-table-test" }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = "Npgsql", ConnectionString = postgres.OrleansConnectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);

    private static MembershipEntry Entry(int port, SiloStatus status, DateTime startTime) => new()
    {
        SiloAddress = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), 1),
        SiloName = "silo-" + port.ToString(CultureInfo.InvariantCulture),
        HostName = "host-" + port.ToString(CultureInfo.InvariantCulture),
        Status = status,
        ProxyPort = port + 1,
        StartTime = startTime,
        IAmAliveTime = startTime,
    };

    private static MembershipEntry Copy(MembershipEntry entry, SiloStatus status) => new()
    {
        SiloAddress = entry.SiloAddress,
        SiloName = entry.SiloName,
        HostName = entry.HostName,
        Status = status,
        ProxyPort = entry.ProxyPort,
        StartTime = entry.StartTime,
        IAmAliveTime = entry.IAmAliveTime,
        SuspectTimes = entry.SuspectTimes,
    };

    private static async Task<Exception?> Outcome(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (InconsistentStateException e)
        {
            return e;
        }
    }

    private async Task<List<(int Port, int Status)>> MembershipRowsAsync(string clusterId, CancellationToken cancellationToken) =>
        await QueryAsync(postgres.ConnectionString,
            "SELECT port, status FROM orleans.membership WHERE deployment_id = @id ORDER BY port",
            r => (r.GetInt32(0), r.GetInt32(1)), cancellationToken, ("id", clusterId));

    private async Task<(int Version, bool HasPayload, string? JsonValue)> StateRowAsync(string serviceId, string key, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(postgres.ConnectionString,
            """
            SELECT version, payload IS NOT NULL, convert_from(payload, 'UTF8')::jsonb ->> 'Value'
            FROM orleans.grain_state
            WHERE service_id = @s AND grain_type = @t AND grain_id_extension = @k
            """,
            r => (r.GetInt32(0), r.GetBoolean(1), r.IsDBNull(2) ? null : r.GetString(2)),
            cancellationToken, ("s", serviceId), ("t", StateProbeGrain.StateName), ("k", key));
        return Assert.Single(rows);
    }

    private static async Task<string> StoredQueryAsync(string connectionString, string key, CancellationToken cancellationToken) =>
        await ScalarAsync<string>(connectionString, "SELECT querytext FROM orleans.orleansquery WHERE querykey = @k", cancellationToken, ("k", key));

    private static (string Name, object Value)[] MembershipInsert(string clusterId, int port, int version, SiloStatus status = SiloStatus.Joining)
    {
        var now = WholeMicroseconds(DateTime.UtcNow);
        return
        [
            ("DeploymentId", clusterId), ("Address", "127.0.0.1"), ("Port", port), ("Generation", 1),
            ("SiloName", "silo-" + port.ToString(CultureInfo.InvariantCulture)), ("HostName", "host"),
            ("Status", (int)status), ("ProxyPort", port + 1), ("StartTime", now), ("IAmAliveTime", now), ("Version", version),
        ];
    }

    private static (string Name, object Value)[] MembershipUpdate(string clusterId, int port, SiloStatus status, int version) =>
    [
        ("DeploymentId", clusterId), ("Address", "127.0.0.1"), ("Port", port), ("Generation", 1), ("Status", (int)status),
        ("SuspectTimes", DBNull.Value), ("IAmAliveTime", WholeMicroseconds(DateTime.UtcNow)), ("Version", version),
    ];

    private static (string Name, object Value)[] StateWrite(string serviceId, long grainN1, int? version, string payload) =>
    [
        ("GrainIdHash", 17), ("GrainIdN0", 0L), ("GrainIdN1", grainN1), ("GrainTypeHash", 23), ("GrainTypeString", "raced"),
        ("GrainIdExtensionString", new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }),
        ("ServiceId", serviceId),
        ("GrainStateVersion", new NpgsqlParameter { Value = version is null ? DBNull.Value : version.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer }),
        ("PayloadBinary", Encoding.UTF8.GetBytes(payload)),
    ];

    // Runs a stored query text in two transactions: the first runs and keeps its locks; the second
    // starts, is observed waiting for a lock, and only then is the first committed.
    private async Task<(T First, T Second)> RaceAsync<T>(
        string key, (string Name, object Value)[] first, (string Name, object Value)[] second, CancellationToken ct)
    {
        var sql = await StoredQueryAsync(postgres.ConnectionString, key, ct);
        await using var one = new NpgsqlConnection(postgres.ConnectionString);
        await using var two = new NpgsqlConnection(postgres.ConnectionString);
        await one.OpenAsync(ct);
        await two.OpenAsync(ct);
        await using var firstTransaction = await one.BeginTransactionAsync(ct);
        await using var secondTransaction = await two.BeginTransactionAsync(ct);
        var firstResult = await FirstValueAsync<T>(one, sql, first, ct);
        var secondRun = FirstValueAsync<T>(two, sql, second, ct);
        var waiting = await EventuallyAsync(
            () => ScalarAsync<bool>(postgres.ConnectionString, "SELECT coalesce(bool_or(wait_event_type = 'Lock'), false) FROM pg_stat_activity WHERE pid = @pid", ct, ("pid", two.ProcessID)),
            w => w || secondRun.IsCompleted,
            $"the second {key} to wait for the first one's lock");
        Assert.True(waiting, $"The second {key} finished without waiting for the first: the race was not serialized.");
        await firstTransaction.CommitAsync(ct);
        var secondResult = await secondRun;
        await secondTransaction.CommitAsync(ct);
        return (firstResult, secondResult);
    }

    private static async Task<T> FirstValueAsync<T>(NpgsqlConnection connection, string sql, (string Name, object Value)[] parameters, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        AddParameters(command, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        Assert.True(await reader.ReadAsync(ct), "the query returned no row");
        return reader.IsDBNull(0) ? default! : reader.GetFieldValue<T>(0);
    }

    private static async Task<T> RunStoredAsync<T>(string connectionString, string key, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        var sql = await StoredQueryAsync(connectionString, key, ct);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        return await FirstValueAsync<T>(connection, sql, parameters, ct);
    }

    private static void AddParameters(NpgsqlCommand command, (string Name, object Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            if (value is NpgsqlParameter typed)
            {
                typed.ParameterName = name;
                command.Parameters.Add(typed);
            }
            else
            {
                command.Parameters.AddWithValue(name, value);
            }
        }
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string awaited)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > Patience)
            {
                throw new TimeoutException($"Timed out after {Patience.TotalSeconds:0}s waiting for {awaited}; last observed: {Describe(value)}");
            }

            await Task.Delay(100);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        System.Collections.IEnumerable items and not string => "[" + string.Join(", ", items.Cast<object>()) + "]",
        _ => value?.ToString() ?? "null",
    };

    private static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        AddParameters(command, parameters);

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql, CancellationToken ct, params (string Name, object Value)[] parameters) =>
        Assert.Single(await QueryAsync(connectionString, sql, r => r.GetFieldValue<T>(0), ct, parameters));

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        AddParameters(command, parameters);

        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Unique cluster and service ids, so tests never see each other's rows.</summary>
    private sealed record ClusterIds(string ClusterId, string ServiceId)
    {
        public static ClusterIds New()
        {
            var suffix = Guid.NewGuid().ToString("N")[..10];
            return new ClusterIds("schema-cluster-" + suffix, "schema-service-" + suffix);
        }
    }

    /// <summary>One PostgreSQL for the class, with the Orleans schema migrated into one database.</summary>
    public sealed class Database : IAsyncLifetime
    {
        private PostgresServer? _server;

        public PostgresServer Server => _server ?? throw new InvalidOperationException("PostgreSQL is not started.");

        public string ConnectionString { get; private set; } = string.Empty;

        /// <summary>What the host gives the Orleans providers: the same database, search_path orleans.</summary>
        public string OrleansConnectionString { get; private set; } = string.Empty;

        public IServiceProvider Services { get; } = new ServiceCollection().BuildServiceProvider();

        public async ValueTask InitializeAsync()
        {
            _server = await PostgresServer.StartAsync();
            ConnectionString = await _server.CreateDatabaseAsync("orleans_schema");
            await DatabaseMigrator.MigrateAsync(ConnectionString, [OrleansMigrations], NullLogger.Instance, CancellationToken.None);
            OrleansConnectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = "orleans" }.ConnectionString;
        }

        public async ValueTask DisposeAsync()
        {
            (Services as IDisposable)?.Dispose();
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}

public interface IStateProbeGrain : IGrainWithStringKey
{
    Task<StateProbeView> Read();

    Task Write(string value);

    Task Clear();

    Task Deactivate();
}

[GenerateSerializer]
[Immutable]
public sealed record StateProbeView(
    [property: Id(0)] string? Value,
    [property: Id(1)] string? ETag,
    [property: Id(2)] bool RecordExists,
    [property: Id(3)] Guid Activation);

[GenerateSerializer]
public sealed class ProbeState
{
    [Id(0)]
    public string? Value { get; set; }
}

internal sealed class StateProbeGrain(
    [PersistentState(StateProbeGrain.StateName, OrleansSchemaTests.StorageName)] IPersistentState<ProbeState> state)
    : Grain, IStateProbeGrain
{
    public const string StateName = "probe";

    private readonly Guid _activation = Guid.NewGuid();

    public Task<StateProbeView> Read() => Task.FromResult(new StateProbeView(state.State.Value, state.Etag, state.RecordExists, _activation));

    public Task Write(string value)
    {
        state.State.Value = value;
        return state.WriteStateAsync();
    }

    public Task Clear() => state.ClearStateAsync();

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task StartTicking(string name, TimeSpan period);

    Task StopTicking(string name);
}

internal sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    private static readonly ConcurrentDictionary<string, int> TickCounts = new(StringComparer.Ordinal);

    public static int Ticks(string key) => TickCounts.GetValueOrDefault(key);

    public Task StartTicking(string name, TimeSpan period) => this.RegisterOrUpdateReminder(name, period, period);

    public async Task StopTicking(string name)
    {
        var reminder = await this.GetReminder(name) ?? throw new InvalidOperationException($"Reminder {name} is not registered.");
        await this.UnregisterReminder(reminder);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        TickCounts.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}
