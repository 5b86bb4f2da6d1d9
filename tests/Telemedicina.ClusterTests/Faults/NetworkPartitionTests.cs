using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Faults;

/// <summary>
/// A silo cut off from the other silos, but not from the database or its clients: the split-brain case a
/// network partition between availability zones produces. The silo runs in its own Linux network namespace
/// with two veth links to the host: one carries its HTTP/WebSocket clients and PostgreSQL (through a
/// forwarder on the host end), the other the silo-to-silo traffic; the two other silos advertise the host end
/// of that second link. Cutting the second link partitions the cluster: the majority must declare the
/// isolated silo dead, the isolated silo must learn it from the table and stop (not keep serving rooms the
/// survivors have re-activated), and its clients must resume on the survivors.
/// </summary>
[Collection(FaultSuite.Name)]
public sealed class NetworkPartitionTests
{
    private static readonly int CallCount = FaultSettings.Heavy ? 30 : 8;

    [Fact]
    public async Task SiloCutOffFromTheOthers_IsDeclaredDead_StopsServing_ItsClientsResumeElsewhere()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var net = await IsolatedNetwork.CreateAsync();
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string>
        {
            ["Orleans__AdvertisedIPAddress"] = net.HostSiloAddress,
        });
        await using var pgForwarder = TcpForwarder.Start(net.HostClientAddress, cluster.Postgres.Port);
        var isolatedConnection = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Host = net.HostClientAddress, Port = pgForwarder.Port }.ConnectionString;
        var isolated = cluster.AddSilo(
            new Dictionary<string, string>
            {
                ["Orleans__AdvertisedIPAddress"] = net.NamespaceSiloAddress,
                ["ConnectionStrings__Postgres"] = isolatedConnection,
            },
            new SiloNetwork(net.Namespace, net.NamespaceClientAddress));
        try
        {
            await isolated.WaitReadyAsync(TimeSpan.FromSeconds(120));
            using var api = cluster.Api(0);
            var admin = await api.LoginDemoAdminAsync();
            var survivors = cluster.Silos.Where(s => s != isolated).ToList();
            var next = 0;

            // Every call has its doctor on the isolated silo; a third of the rooms start there too.
            await using var calls = await LiveCalls.OpenAsync(cluster, admin, CallCount,
                doctorSilo: _ => isolated,
                patientSilo: i => survivors[i % 2],
                reconnectTo: () => survivors[Interlocked.Increment(ref next) % 2]);
            calls.StartSending(TimeSpan.FromMilliseconds(500));
            await Task.Delay(TimeSpan.FromSeconds(3), ct);

            // Partition: the silo-to-silo link goes down; clients and PostgreSQL still reach the isolated silo.
            var clock = Stopwatch.StartNew();
            await net.CutSiloLinkAsync();
            calls.MarkFault(clock);

            TimeSpan? declaredDead = null;
            await using (var db = new NpgsqlConnection(cluster.ConnectionString))
            {
                while (declaredDead is null && clock.Elapsed < TimeSpan.FromSeconds(90))
                {
                    var status = await db.ExecuteScalarAsync<int?>(
                        "SELECT status FROM orleans.membership WHERE deployment_id = @id AND port = @port ORDER BY generation DESC LIMIT 1",
                        new { id = cluster.ClusterId, port = isolated.SiloPort });
                    if (status == 6)
                    {
                        declaredDead = clock.Elapsed;
                    }
                    else
                    {
                        await Task.Delay(100, ct);
                    }
                }

                Assert.True(declaredDead is not null, "Membership did not declare the isolated silo dead within 90 s.");

                // The survivors stay Active: the minority side cannot vote them out.
                var active = await db.ExecuteScalarAsync<long>(
                    "SELECT count(*) FROM orleans.membership WHERE deployment_id = @id AND status = 3 AND port = ANY(@ports)",
                    new { id = cluster.ClusterId, ports = survivors.Select(s => s.SiloPort).ToArray() });
                Assert.Equal(2, active);
            }

            // The isolated silo reads its own death from the table and stops: no stale rooms served from there.
            // It learns it only from its next read of the table (Orleans__TableRefreshTimeout, 5 s; Orleans' default
            // of 60 s left a minute of split brain here). The wait is generous for starved CI machines; the figure
            // reports how long it really kept running.
            var exitDeadline = clock.Elapsed + TimeSpan.FromSeconds(120);
            while (!isolated.HasExited && clock.Elapsed < exitDeadline)
            {
                await Task.Delay(100, ct);
            }

            var exitedAfter = clock.Elapsed;
            Assert.True(isolated.HasExited, "The isolated silo kept running after it was declared dead:\n" + isolated.Tail());
            Assert.True(isolated.WasDeclaredDeadWhileAlive, "The isolated silo stopped without learning it was declared dead:\n" + isolated.Tail());

            // Until the isolated silo stopped, a room living there acknowledged its parties' signals and could not
            // deliver them across the cut, and took them along when it stopped: no replay buffer outlives a silo that
            // is cut off (the clients' ICE restart after resuming renews what those signals carried). From a moment
            // after it stopped (its last acknowledgements have reached their senders) every signal must arrive.
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            calls.MarkRecovered();
            await calls.WaitAllFlowingAsync(signals: 6, TimeSpan.FromSeconds(90));
            await calls.StopAndVerifyAsync(TimeSpan.FromSeconds(30));
            Assert.All(calls.Parties, p => Assert.NotEqual(isolated, p.Silo));
            var resume = calls.Parties.Where(p => p.ResumedAfter is not null).Select(p => p.ResumedAfter!.Value.TotalSeconds).ToList();
            var flowing = calls.Calls.Select(c => c.ResumedAfter!.Value.TotalSeconds).ToList();
            Figures.Report(string.Create(CultureInfo.InvariantCulture,
                $"network partition (1 of 3 silos cut off from the others, still reaching PostgreSQL and its clients, {CallCount} calls): declared dead {declaredDead!.Value.TotalSeconds:0.0} s after the cut, " +
                $"it stopped itself at {exitedAfter.TotalSeconds:0.0} s ({(exitedAfter - declaredDead.Value).TotalSeconds:0.0} s after being declared dead); its {resume.Count} clients resumed on the survivors p50 {LiveCalls.Percentile(resume, 50):0.0} s / max {resume.Max():0.0} s, " +
                $"signals flowing again max {flowing.Max():0.0} s; {calls.Sent} signals sent, {calls.LostBeforeRecovery} lost with the isolated silo's rooms before it stopped, 0 lost after, {calls.Retries} sender retries"));
        }
        finally
        {
            // Expected here, so not the false positive the cluster's dispose checks for.
            cluster.Silos.Remove(isolated);
            await isolated.DisposeAsync();
        }
    }

    /// <summary>A network namespace with two veth links to the host (root only): clients + PostgreSQL, and silo traffic.</summary>
    private sealed class IsolatedNetwork : IAsyncDisposable
    {
        private readonly string _clientLink;
        private readonly string _siloLink;

        private IsolatedNetwork(int id)
        {
            Namespace = $"tmfaults{id}";
            _clientLink = $"tmc{id}";
            _siloLink = $"tms{id}";
            var a = 16 + (id % 200);
            HostClientAddress = $"10.231.{a}.1";
            NamespaceClientAddress = $"10.231.{a}.2";
            HostSiloAddress = $"10.232.{a}.1";
            NamespaceSiloAddress = $"10.232.{a}.2";
        }

        public string Namespace { get; }

        public string HostClientAddress { get; }

        public string NamespaceClientAddress { get; }

        public string HostSiloAddress { get; }

        public string NamespaceSiloAddress { get; }

        public static async Task<IsolatedNetwork> CreateAsync()
        {
            var net = new IsolatedNetwork(Random.Shared.Next(1000, 9999));
            try
            {
                await IpAsync("netns", "add", net.Namespace);
                await IpAsync("-n", net.Namespace, "link", "set", "lo", "up");
                foreach (var (link, host, inside) in new[] { (net._clientLink, net.HostClientAddress, net.NamespaceClientAddress), (net._siloLink, net.HostSiloAddress, net.NamespaceSiloAddress) })
                {
                    await IpAsync("link", "add", link, "type", "veth", "peer", "name", link + "p");
                    await IpAsync("link", "set", link + "p", "netns", net.Namespace);
                    await IpAsync("addr", "add", host + "/30", "dev", link);
                    await IpAsync("link", "set", link, "up");
                    await IpAsync("-n", net.Namespace, "addr", "add", inside + "/30", "dev", link + "p");
                    await IpAsync("-n", net.Namespace, "link", "set", link + "p", "up");
                }

                return net;
            }
            catch
            {
                await net.DisposeAsync();
                throw;
            }
        }

        /// <summary>Takes the namespace's end of the silo link down: packets both ways are dropped, nothing is reset.</summary>
        public Task CutSiloLinkAsync() => IpAsync("-n", Namespace, "link", "set", _siloLink + "p", "down");

        public async ValueTask DisposeAsync()
        {
            // Deleting the namespace destroys the peers inside it, and with them the host ends.
            await IpAsync(ignoreErrors: true, "netns", "del", Namespace);
            await IpAsync(ignoreErrors: true, "link", "del", _clientLink);
            await IpAsync(ignoreErrors: true, "link", "del", _siloLink);
        }

        private static Task IpAsync(params string[] args) => IpAsync(false, args);

        private static async Task IpAsync(bool ignoreErrors, params string[] args)
        {
            var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            using var process = Process.Start(psi)!;
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0 && !ignoreErrors)
            {
                throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({process.ExitCode}): {error} (network namespaces need root and iproute2)");
            }
        }
    }
}
