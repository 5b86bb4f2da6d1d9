using Dapper;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Scheduling;

/// <summary>The jobs reminder is durable: it runs once cluster-wide and moves on when its silo dies.</summary>
public sealed class JobsFailoverTests
{
    [Fact]
    public async Task JobsReminder_AfterTheSiloRunningItIsKilled_KeepsFiringElsewhere_AndSendsEachReminderOnce()
    {
        await using var cluster = await TestCluster.StartAsync(silos: 3);
        using var api = cluster.Api(0);
        var doctor = await api.RegisterDoctorAsync();
        var otherDoctor = await api.RegisterDoctorAsync();
        var first = await api.RegisterPatientAsync();
        var second = await api.RegisterPatientAsync();

        await InsertDueAsync(cluster, first.Id, doctor.Id);
        await cluster.Outbox.WaitForLinkOrMessageAsync(first.Email, "reminder-1h", TimeSpan.FromSeconds(60));
        // The run logs its summary after sending, so the line may trail the e-mail by a moment.
        var runner = await JobRunnerAsync(cluster.Silos);
        runner.Kill();

        var started = DateTime.UtcNow;
        await InsertDueAsync(cluster, second.Id, otherDoctor.Id);
        await cluster.Outbox.WaitForLinkOrMessageAsync(second.Email, "reminder-1h", TimeSpan.FromSeconds(120));
        Figures.Report($"jobs reminder failover: jobs resumed {(DateTime.UtcNow - started).TotalSeconds:0.0} s after killing {runner.Name}");
        // As above, the run's summary line may trail the e-mail by a moment (a CI run looked at once and found none).
        var deadline = Deadline.InSeconds(30);
        while (!cluster.Silos.Where(s => s != runner).Any(s => File.ReadAllText(s.LogPath).Contains("Scheduling jobs:", StringComparison.Ordinal)))
        {
            Assert.False(deadline.Passed, "no surviving silo logged a jobs run, though the reminder e-mail was sent");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        // Let a few more ticks pass: nothing is sent twice.
        await Task.Delay(TimeSpan.FromSeconds(12), TestContext.Current.CancellationToken);
        var mails = Directory.GetFiles(cluster.Outbox.Directory, "*.json").Select(File.ReadAllText).Where(m => m.Contains("\"kind\":\"reminder-1h\"", StringComparison.Ordinal)).ToList();
        Assert.Single(mails, m => m.Contains(first.Email, StringComparison.Ordinal));
        Assert.Single(mails, m => m.Contains(second.Email, StringComparison.Ordinal));
        Assert.Single(mails, m => m.Contains(doctor.Email, StringComparison.Ordinal));
        Assert.Single(mails, m => m.Contains(otherDoctor.Email, StringComparison.Ordinal));
    }

    private static async Task<SiloProcess> JobRunnerAsync(IReadOnlyList<SiloProcess> silos)
    {
        var deadline = Deadline.InSeconds(30);
        while (true)
        {
            var runners = silos.Where(s => File.ReadAllText(s.LogPath).Contains("Scheduling jobs:", StringComparison.Ordinal)).ToList();
            if (runners.Count == 1)
            {
                return runners[0];
            }

            Assert.True(runners.Count == 0, $"the jobs ran on {runners.Count} silos at once");
            Assert.False(deadline.Passed, "no silo logged a jobs run");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    // A consultation booked long ago that starts in 59 minutes: its 1-hour reminders are due now.
    private static async Task InsertDueAsync(TestCluster cluster, Guid patientId, Guid doctorId)
    {
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(59);
        await using var db = new NpgsqlConnection(cluster.ConnectionString);
        await db.ExecuteAsync(
            """
            INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, created_at, updated_at)
            VALUES (@id, @doctorId, @patientId, @startsAt, @endsAt, @startsAt, @endsAt, 'scheduled', @createdAt, @createdAt)
            """,
            new { id = Guid.NewGuid(), doctorId, patientId, startsAt = startsAt.UtcDateTime, endsAt = startsAt.AddMinutes(30).UtcDateTime, createdAt = DateTime.UtcNow.AddHours(-3) });
    }
}
