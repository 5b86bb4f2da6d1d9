using Dapper;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// When two silos vote a crashed silo out at the same moment, only one write to the membership table wins; the
/// other silo learns of the death from the winner's gossip (as starved of CPU as everyone during a failover) or
/// from its next periodic read of the table. Until then it cannot re-activate the rooms the dead silo hosted. A
/// silo that fails to reach another silo re-reads the table, so it acts on the death as soon as the table has it.
/// </summary>
public sealed class MembershipRefreshTests
{
    [Fact]
    public async Task ASiloThatCannotReachARoom_LearnsFromTheTableThatItsHostIsDead_AndTheRoomRelaysAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        // Probes and periodic reads far slower than the test: this silo can learn the death only by re-reading
        // the table on its own initiative.
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string>
        {
            ["Orleans__ProbeTimeout"] = "00:00:30",
            ["Orleans__NumMissedProbesLimit"] = "5",
            ["Orleans__TableRefreshTimeout"] = "00:10:00",
        });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var (doctor, patient, _, roomId, host) = await cluster.AcceptedCallAsync(api, admin);
        var room = roomId.ToString();
        var survivor = cluster.Silos.Single(s => s != host);

        await using var patientHub = await HubClient.ConnectAsync(survivor.BaseUrl, () => patient.AccessToken);
        await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
        await patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "candidate", Candidate(0), ct);

        // The room's silo crashes, and the table records its death (as the other voter's winning write would).
        host.Kill();
        await using (var db = new NpgsqlConnection(cluster.ConnectionString))
        {
            var declared = await db.ExecuteAsync(
                """
                WITH bumped AS (
                    UPDATE orleans.membership_version SET version = version + 1, changed_at = now()
                    WHERE deployment_id = @id RETURNING deployment_id)
                UPDATE orleans.membership m SET status = 6
                FROM bumped WHERE m.deployment_id = bumped.deployment_id AND m.port = @port AND m.status = 3
                """,
                new { id = cluster.ClusterId, port = host.SiloPort });
            Assert.Equal(1, declared);
        }

        // The patient keeps signalling, as the web client does; the room comes back on the surviving silo.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var refusals = 0;
        while (true)
        {
            try
            {
                await patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "candidate", Candidate(1), ct);
                break;
            }
            catch (HubException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                refusals++;
                await Task.Delay(200, ct);
            }
        }

        TestContext.Current.SendDiagnosticMessage($"relayed again {clock.Elapsed.TotalSeconds:0.0} s after the crash, {refusals} refusals before");
        var view = await cluster.Api(cluster.Silos.IndexOf(survivor)).GetCallAsync(patient, roomId);
        Assert.Equal("accepted", view.Status);
    }

    private static string Candidate(int i) => $"{{\"candidate\":\"candidate:{i} 1 udp 2122260223 127.0.0.1 {40000 + i} typ host\",\"i\":{i}}}";
}
