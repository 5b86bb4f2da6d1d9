using System.Diagnostics;
using System.Globalization;
using System.Net;
using Dapper;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Faults;

/// <summary>
/// PostgreSQL stops under booking load and comes back on the same data and port. While it is down the silos
/// stay up and say so (live 200, ready 503) and clients get 503 problem+json, never a 500; when it is back the
/// same silo processes serve again (no restart), every booking answered 201 is there and nothing is double-booked.
/// Orleans membership lives in the same database: the silos must ride out the outage without declaring each
/// other (or themselves) dead; every <see cref="TestCluster"/> fails its run on such a false positive.
/// </summary>
[Collection(FaultSuite.Name)]
public sealed class DatabaseOutageTests
{
    private static readonly TimeSpan Outage = FaultSettings.Heavy ? TimeSpan.FromSeconds(90) : TimeSpan.FromSeconds(20);

    [Fact]
    public async Task PostgresStoppedAndRestarted_UnderBookingLoad_SilosRecoverWithoutRestart_NoAcknowledgedBookingLost()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2);
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        var pids = cluster.Silos.Select(s => s.ProcessId).ToList();
        await using var load = await BookingLoad.PrepareAsync(cluster, admin, doctors: 4, patients: 8);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        load.Start();
        await Task.Delay(TimeSpan.FromSeconds(4), ct);
        var beforeOutage = load.Acknowledged.Count;
        Assert.True(beforeOutage > 0, "No booking succeeded before the outage: " + load.Summary);

        // Down.
        await cluster.Postgres.StopFastAsync(ct);
        var down = Stopwatch.StartNew();
        foreach (var silo in cluster.Silos)
        {
            await WaitForAsync(http, silo, "/health/ready", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
        }

        var notReadyAfter = down.Elapsed;
        var duringStart = load.Count(HttpStatusCode.ServiceUnavailable);
        while (down.Elapsed < Outage)
        {
            foreach (var silo in cluster.Silos)
            {
                Assert.False(silo.HasExited, $"{silo.Name} exited during the outage:\n{silo.Tail()}");
                Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, silo, "/health/live"));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(http, silo, "/health/ready"));
            }

            await Task.Delay(1000, ct);
        }

        var refusedWhileDown = load.Count(HttpStatusCode.ServiceUnavailable);
        Assert.True(refusedWhileDown > duringStart, "No booking was answered 503 while the database was down: " + load.Summary);

        // Back, same data directory and port.
        await cluster.Postgres.StartProcessAsync(ct);
        var up = Stopwatch.StartNew();
        foreach (var silo in cluster.Silos)
        {
            await WaitForAsync(http, silo, "/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(90));
        }

        var readyAfter = up.Elapsed;
        var atRestart = load.Acknowledged.Count;
        var deadline = Deadline.InSeconds(60);
        while (load.Acknowledged.Count < atRestart + 10 && !deadline.Passed)
        {
            await Task.Delay(200, ct);
        }

        var bookingAfter = up.Elapsed;
        Assert.True(load.Acknowledged.Count >= atRestart + 10, "Bookings did not succeed again after the database came back: " + load.Summary);
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        await load.StopAsync();

        // The same processes, still members of the cluster, and the data is whole.
        Assert.Equal(pids, cluster.Silos.Select(s => s.ProcessId));
        Assert.All(cluster.Silos, s => Assert.False(s.HasExited, $"{s.Name} exited"));
        await using (var db = new NpgsqlConnection(cluster.ConnectionString))
        {
            var active = await db.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM orleans.membership WHERE deployment_id = @id AND status = 3", new { id = cluster.ClusterId });
            Assert.Equal(cluster.Silos.Count, active);
        }

        await load.VerifyAsync(cluster.ConnectionString);

        // The operator's log: each 503 is a warning naming the cause, not an error with a stack trace (hundreds of
        // those for one outage buried everything else).
        var requestErrors = 0;
        var unavailableWarnings = 0;
        foreach (var silo in cluster.Silos)
        {
            await using var stream = new FileStream(silo.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            foreach (var line in (await reader.ReadToEndAsync(ct)).Split('\n').Where(l => l.Contains("Composition.ErrorHandling", StringComparison.Ordinal)))
            {
                requestErrors += line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) ? 1 : 0;
                unavailableWarnings += line.Contains("\"LogLevel\":\"Warning\"", StringComparison.Ordinal) && line.Contains("answered 503", StringComparison.Ordinal)
                    && line.Contains("Npgsql", StringComparison.Ordinal) ? 1 : 0;
            }
        }

        Assert.Equal(0, requestErrors);
        Assert.True(unavailableWarnings > 0, "no warning named the database as the cause of the 503s");
        Figures.Report(string.Create(CultureInfo.InvariantCulture,
            $"PostgreSQL down {Outage.TotalSeconds:0} s under booking load (2 silos, 8 clients): ready 503 after {notReadyAfter.TotalSeconds:0.0} s, ready again {readyAfter.TotalSeconds:0.0} s " +
            $"after the restart, bookings succeed again after {bookingAfter.TotalSeconds:0.0} s; {load.Acknowledged.Count} bookings acknowledged, all present, 0 double-booked; " +
            $"{refusedWhileDown} answered 503 problem+json, 0 answered 500; silos not restarted, no member declared dead ({load.Summary})"));
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, SiloProcess silo, string path)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(silo.BaseUrl, path));
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task WaitForAsync(HttpClient http, SiloProcess silo, string path, HttpStatusCode expected, TimeSpan timeout)
    {
        var deadline = Deadline.In(timeout);
        HttpStatusCode? last = null;
        while (!deadline.Passed)
        {
            Assert.False(silo.HasExited, $"{silo.Name} exited:\n{silo.Tail()}");
            last = await StatusAsync(http, silo, path);
            if (last == expected)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"{silo.Name} {path} did not answer {(int)expected} within {timeout} (last: {last}).\n{silo.Tail()}");
    }
}
