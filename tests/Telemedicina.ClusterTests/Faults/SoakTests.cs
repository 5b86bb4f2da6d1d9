using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Faults;

/// <summary>
/// A steady mix for N minutes on two silos (loopback only, bounded loops): logins, bookings, long calls that
/// keep signalling and short calls set up and ended over and over. The silos' memory (RSS) and open file
/// descriptors are sampled; after the warm-up (the first quarter) neither may grow by more than half plus a
/// fixed allowance, no request may fail, and the p99s are reported. <c>TELEMEDICINA_HEAVY=1</c>: 10 minutes.
/// </summary>
[Collection(FaultSuite.Name)]
public sealed class SoakTests
{
    private static readonly TimeSpan Duration = FaultSettings.Heavy ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(1);

    /// <summary>Growth allowed after warm-up: 50 % of the warm-up level plus this much.</summary>
    private const long RssAllowanceBytes = 64L * 1024 * 1024;

    private const int FdAllowance = 64;

    [Fact]
    public async Task SteadyMixOfLoginsBookingsAndCalls_MemoryAndHandlesStable_NoErrors()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TestCluster.StartAsync(silos: 2, new Dictionary<string, string>
        {
            // Short calls book slot after slot of the same pairs: let the whole next day be joinable.
            ["Scheduling__JoinWindowBefore"] = "1.00:00:00",
        });
        using var api = cluster.Api(0);
        var admin = await api.LoginDemoAdminAsync();
        await using var longCalls = await LiveCalls.OpenAsync(cluster, admin, 8,
            doctorSilo: i => cluster.Silos[i % 2], patientSilo: i => cluster.Silos[(i + 1) % 2], reconnectTo: () => cluster.Silos[0]);
        await using var bookings = await BookingLoad.PrepareAsync(cluster, admin, doctors: 3, patients: 4);
        var shortPairs = await Task.WhenAll(Enumerable.Range(0, 3).Select(async i =>
        {
            using var a = cluster.Api(i % 2);
            var doctor = await Scenario.VerifiedDoctorAsync(a, admin);
            var patient = await Scenario.ConsentingPatientAsync(a);
            return (doctor, patient);
        }));
        var loginUsers = shortPairs.Select(p => p.patient).ToList();

        var errors = new ConcurrentBag<string>();
        var loginMs = new ConcurrentBag<double>();
        var callSetupMs = new ConcurrentBag<double>();
        var shortCalls = 0;
        using var stop = new CancellationTokenSource();
        var samples = new List<(TimeSpan At, long[] Rss, int[] Fds)>();
        var clock = Stopwatch.StartNew();

        longCalls.StartSending(TimeSpan.FromMilliseconds(500));
        bookings.Start(pause: TimeSpan.FromMilliseconds(250));
        var logins = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                using var target = cluster.Api(n % 2);
                var user = loginUsers[n++ % loginUsers.Count];
                var started = Stopwatch.GetTimestamp();
                using var response = await target.SendAsync(HttpMethod.Post, "/api/v1/identity/login", new { email = user.Email, password = user.Password });
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    loginMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                else
                {
                    errors.Add($"login {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                }

                await Delay(TimeSpan.FromMilliseconds(300), stop.Token);
            }
        }, ct);
        var churn = shortPairs.Select((pair, k) => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    callSetupMs.Add(await ShortCallAsync(cluster, k, pair.doctor, pair.patient));
                    Interlocked.Increment(ref shortCalls);
                }
                catch (Exception e) when (e is ApiException or TimeoutException or InvalidOperationException or HttpRequestException or Microsoft.AspNetCore.SignalR.HubException)
                {
                    errors.Add($"short call: {e.GetType().Name}: {e.Message}");
                }

                await Delay(TimeSpan.FromSeconds(1), stop.Token);
            }
        }, ct)).ToList();

        var interval = FaultSettings.Heavy ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(3);
        while (clock.Elapsed < Duration)
        {
            samples.Add((clock.Elapsed, cluster.Silos.Select(s => Rss(s.ProcessId)).ToArray(), cluster.Silos.Select(s => Fds(s.ProcessId)).ToArray()));
            Assert.All(cluster.Silos, s => Assert.False(s.HasExited, $"{s.Name} exited:\n{s.Tail()}"));
            await Task.Delay(interval, ct);
        }

        samples.Add((clock.Elapsed, cluster.Silos.Select(s => Rss(s.ProcessId)).ToArray(), cluster.Silos.Select(s => Fds(s.ProcessId)).ToArray()));
        await stop.CancelAsync();
        await Task.WhenAll(churn.Append(logins));
        await bookings.StopAsync();
        await longCalls.StopAndVerifyAsync(TimeSpan.FromSeconds(30));
        await bookings.VerifyAsync(cluster.ConnectionString);

        Assert.True(errors.IsEmpty, $"{errors.Count} errors: {string.Join(" | ", errors.Take(5))}");
        Assert.Equal(0, bookings.Count(HttpStatusCode.ServiceUnavailable));
        Assert.All(longCalls.Parties, p => Assert.Equal(0, p.Reconnects));
        Assert.True(shortCalls > 0 && !loginMs.IsEmpty && !bookings.Acknowledged.IsEmpty, "Some part of the mix never ran.");

        // Stable: after the warm-up, no silo's RSS or descriptor count grows past the bound.
        var warm = samples.Where(s => s.At >= Duration / 4).ToList();
        var baseline = warm[0];
        var report = new List<string>();
        for (var i = 0; i < cluster.Silos.Count; i++)
        {
            var rssBound = (long)(baseline.Rss[i] * 1.5) + RssAllowanceBytes;
            var fdBound = (int)(baseline.Fds[i] * 1.5) + FdAllowance;
            var peakRss = warm.Max(s => s.Rss[i]);
            var peakFds = warm.Max(s => s.Fds[i]);
            Assert.True(peakRss <= rssBound, $"{cluster.Silos[i].Name}: RSS grew from {Mib(baseline.Rss[i])} to {Mib(peakRss)} MiB after warm-up (bound {Mib(rssBound)})");
            Assert.True(peakFds <= fdBound, $"{cluster.Silos[i].Name}: descriptors grew from {baseline.Fds[i]} to {peakFds} after warm-up (bound {fdBound})");
            report.Add(string.Create(CultureInfo.InvariantCulture,
                $"{cluster.Silos[i].Name} RSS {Mib(baseline.Rss[i])}→{Mib(samples[^1].Rss[i])} MiB (peak {Mib(peakRss)}), fds {baseline.Fds[i]}→{samples[^1].Fds[i]} (peak {peakFds})"));
        }

        var signal = longCalls.LatenciesMs;
        Figures.Report(string.Create(CultureInfo.InvariantCulture,
            $"soak {Duration.TotalMinutes:0} min on 2 silos (8 long calls at 2 signals/s per party, 3 short-call loops, 4 booking clients, 1 login loop): " +
            $"{loginMs.Count} logins p99 {LiveCalls.Percentile(loginMs, 99):0} ms; {bookings.Total} booking requests ({bookings.Acknowledged.Count} booked) p99 {LiveCalls.Percentile(bookings.LatenciesMs, 99):0} ms; " +
            $"{shortCalls} short calls, set-up p99 {LiveCalls.Percentile(callSetupMs, 99):0} ms; {longCalls.Sent} signals, 0 lost, relay p99 {LiveCalls.Percentile(signal, 99):0} ms; 0 errors; {string.Join("; ", report)}"));
    }

    /// <summary>Books the pair's next slot, then request → accept → both join → a signal each way → end. Returns request-to-joined ms.</summary>
    private static async Task<double> ShortCallAsync(TestCluster cluster, int k, TestUser doctor, TestUser patient)
    {
        using var patientApi = cluster.Api(k % 2);
        using var doctorApi = cluster.Api((k + 1) % 2);
        var booked = await Scenario.BookNextSlotAsync(patientApi, patient, doctor);
        await using var doctorHub = await HubClient.ConnectAsync(doctorApi.BaseUrl, () => doctor.AccessToken);
        await using var patientHub = await HubClient.ConnectAsync(patientApi.BaseUrl, () => patient.AccessToken);
        var started = Stopwatch.GetTimestamp();
        var call = await patientApi.RequestCallAsync(patient, booked.AppointmentId);
        await doctorHub.NextAsync<CallRequested>("CallRequested", TimeSpan.FromSeconds(15), e => e.RoomId == call.RoomId);
        await doctorApi.CallActionAsync(doctor, call.RoomId, "accept");
        var room = call.RoomId.ToString();
        await patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room);
        await doctorHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room);
        var setup = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        await patientHub.Connection.InvokeAsync("Signal", room, doctor.Id.ToString(), "offer", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
        await doctorHub.NextAsync<SignalMessage>("Signal", TimeSpan.FromSeconds(15), s => s.Kind == "offer");
        await doctorHub.Connection.InvokeAsync("Signal", room, patient.Id.ToString(), "answer", "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\n");
        await patientHub.NextAsync<SignalMessage>("Signal", TimeSpan.FromSeconds(15), s => s.Kind == "answer");
        var ended = await doctorApi.CallActionAsync(doctor, call.RoomId, "end");
        if (ended.Status != "ended")
        {
            throw new InvalidOperationException($"Call {call.RoomId} ended as {ended.Status}.");
        }

        return setup;
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"No VmRSS for process {pid}.");
    }

    private static int Fds(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    private static long Mib(long bytes) => bytes / (1024 * 1024);

    private static async Task Delay(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
