using System.Net;
using System.Text.Json;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Health;

/// <summary>Readiness tells the load balancer the truth: database reachable and silo Active, else 503.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Ready_WhenDatabaseDownAtStartAndLaterDuringService_Is503ThenRecoversWithoutRestart()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("telemedicina");
        await postgres.StopProcessAsync();

        // The silo starts while PostgreSQL is down: it stays up, live, but not ready and not a cluster member.
        await using var silo = SiloProcess.Start("silo1", connectionString, "t" + Guid.NewGuid().ToString("N")[..10], TestCluster.DefaultEnvironment);
        using var http = new HttpClient { BaseAddress = silo.BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        await WaitForStatusAsync(http, "/health/live", HttpStatusCode.OK, TimeSpan.FromSeconds(60), silo);
        var (status, body) = await GetAsync(http, "/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Degraded", body.GetProperty("checks").GetProperty("cluster").GetProperty("status").GetString());
        // A silo that has not joined yet is starting, as at every deploy: a warning in its log, not an error (the
        // health-check library logs each Unhealthy check at Error). The database being down is an error.
        var log = await ReadLogAsync(silo);
        Assert.Contains(log, l => l.Contains("Health check database with status Unhealthy", StringComparison.Ordinal) && l.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("Health check cluster with status Degraded", StringComparison.Ordinal) && l.Contains("\"LogLevel\":\"Warning\"", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("Health check cluster", StringComparison.Ordinal) && l.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal));

        // The database comes up: migrations run, the silo joins, and readiness turns 200 on its own.
        await postgres.StartProcessAsync();
        await WaitForStatusAsync(http, "/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(90), silo);

        // The database goes away while serving: readiness names it and says 503.
        await postgres.StopProcessAsync();
        await WaitForStatusAsync(http, "/health/ready", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), silo);
        (status, body) = await GetAsync(http, "/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, "/health/live")).Status);

        // And back, without restarting the silo.
        await postgres.StartProcessAsync();
        await WaitForStatusAsync(http, "/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(60), silo);
        Assert.False(silo.HasExited);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    private static async Task<string[]> ReadLogAsync(SiloProcess silo)
    {
        await using var stream = new FileStream(silo.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return (await reader.ReadToEndAsync(TestContext.Current.CancellationToken)).Split('\n');
    }

    private static async Task WaitForStatusAsync(HttpClient http, string path, HttpStatusCode expected, TimeSpan timeout, SiloProcess silo)
    {
        var deadline = Deadline.In(timeout);
        HttpStatusCode? last = null;
        while (!deadline.Passed)
        {
            Assert.False(silo.HasExited, "The silo process exited:\n" + silo.Tail());
            try
            {
                using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
                last = response.StatusCode;
                if (response.StatusCode == expected)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        Assert.Fail($"{path} did not answer {(int)expected} within {timeout} (last: {last}).\n{silo.Tail()}");
    }
}
