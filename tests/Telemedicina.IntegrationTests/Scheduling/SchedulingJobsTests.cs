using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Telemedicina.Audit;
using Telemedicina.BuildingBlocks;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.BuildingBlocks.Email;
using Telemedicina.Identity;
using Telemedicina.Identity.Application;
using Telemedicina.Scheduling;
using Telemedicina.Scheduling.Contracts;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.IntegrationTests.Scheduling;

/// <summary>
/// The scheduling jobs with a fake clock: the real modules on a real PostgreSQL, two independent
/// instances (as on two silos) running every tick concurrently; every effect happens exactly once.
/// </summary>
public sealed class SchedulingJobsTests() : ThrowawayDatabaseTest("jobs")
{
    private readonly string _outbox = Path.Combine(Path.GetTempPath(), "telemedicina-jobs-outbox-" + Guid.NewGuid().ToString("N")[..8]);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_outbox))
        {
            Directory.Delete(_outbox, recursive: true);
        }
    }

    [Fact]
    public async Task Jobs_WithFakeClockAndTwoInstances_DoEachThingExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var t0 = new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(t0);
        using var silo1 = Build(clock);
        using var silo2 = Build(clock);
        var demo = await MigrateAndSeedAsync(silo1, ct);

        // Booked well ahead: due for both reminders, then a no-show. And a consultation that never ends.
        var upcoming = await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddHours(25), "scheduled", createdAt: t0);
        var endless = await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddHours(-3), "inProgress", createdAt: t0.AddDays(-2), startedAt: t0.AddHours(-3).AddMinutes(2));
        var jobs = new[] { silo1.GetRequiredService<ISchedulingJobs>(), silo2.GetRequiredService<ISchedulingJobs>() };

        async Task<JobRunSummary> TickAsync()
        {
            var runs = await Task.WhenAll(jobs.Select(j => j.RunDueAsync(ct)));
            return new JobRunSummary(runs.Sum(r => r.NoShows), runs.Sum(r => r.AutoCompleted), runs.Sum(r => r.RemindersQueued), runs.Sum(r => r.NotificationsSent));
        }

        // t0: the stuck consultation (started 3 h ago, max 90 min) is completed, once.
        Assert.Equal(new JobRunSummary(0, 1, 0, 0), await TickAsync());
        Assert.Equal(new JobRunSummary(0, 0, 0, 0), await TickAsync());
        Assert.Equal("completed", await StatusAsync(endless));

        // 24 h before: the patient's day-before reminder, once.
        clock.SetUtcNow(t0.AddHours(1).AddMinutes(1));
        Assert.Equal(new JobRunSummary(0, 0, 1, 1), await TickAsync());
        Assert.Equal(new JobRunSummary(0, 0, 0, 0), await TickAsync());

        // 1 h before: patient and doctor, once each.
        clock.SetUtcNow(t0.AddHours(24).AddMinutes(1));
        Assert.Equal(new JobRunSummary(0, 0, 2, 2), await TickAsync());
        Assert.Equal(new JobRunSummary(0, 0, 0, 0), await TickAsync());

        // 16 and 59 min after the start nobody joined: the room still lets them in (its join window closes 30 min
        // after the 30 min slot's end), so it is not a no-show yet. It was marked at 15 min, the room still open.
        foreach (var late in new[] { 16, 59 })
        {
            clock.SetUtcNow(t0.AddHours(25).AddMinutes(late));
            Assert.Equal(new JobRunSummary(0, 0, 0, 0), await TickAsync());
        }

        // 61 min after, the window closed: a no-show of both parties, once.
        clock.SetUtcNow(t0.AddHours(25).AddMinutes(61));
        Assert.Equal(new JobRunSummary(1, 0, 0, 0), await TickAsync());
        Assert.Equal(new JobRunSummary(0, 0, 0, 0), await TickAsync());
        Assert.Equal("noShow", await StatusAsync(upcoming));

        var mails = Directory.GetFiles(_outbox, "*.json").Select(File.ReadAllText).ToList();
        Assert.Single(mails, m => m.Contains("\"kind\":\"reminder-24h\"", StringComparison.Ordinal));
        Assert.Equal(2, mails.Count(m => m.Contains("\"kind\":\"reminder-1h\"", StringComparison.Ordinal)));
        await using var db = new NpgsqlConnection(ConnectionString);
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduling.appointment_history WHERE appointment_id = @upcoming AND what = 'no-show'", new { upcoming }));
        Assert.Equal("both", await db.ExecuteScalarAsync<string>("SELECT no_show_party FROM scheduling.appointments WHERE id = @upcoming", new { upcoming }));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM scheduling.notifications WHERE sent_at IS NULL"));
    }

    [Fact]
    public async Task NoShow_WhenOnlyTheDoctorJoined_BlamesThePatient()
    {
        var ct = TestContext.Current.CancellationToken;
        var t0 = new DateTimeOffset(2026, 5, 4, 15, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(t0);
        using var silo = Build(clock);
        var demo = await MigrateAndSeedAsync(silo, ct);
        var id = await InsertAsync(demo.PatientId, demo.DoctorId, t0, "scheduled", createdAt: t0.AddHours(-2));
        await silo.GetRequiredService<IAppointmentBook>().AppendHistoryAsync(id, demo.DoctorId, "call.joined", null, t0.AddMinutes(1), ct);
        clock.SetUtcNow(t0.AddMinutes(59));
        Assert.Equal(0, (await silo.GetRequiredService<ISchedulingJobs>().RunDueAsync(ct)).NoShows);
        clock.SetUtcNow(t0.AddMinutes(61));
        Assert.Equal(1, (await silo.GetRequiredService<ISchedulingJobs>().RunDueAsync(ct)).NoShows);
        await using var db = new NpgsqlConnection(ConnectionString);
        Assert.Equal("patient", await db.ExecuteScalarAsync<string>("SELECT no_show_party FROM scheduling.appointments WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task OpenAppointmentsOfADoctorOrAPatient_AreTheLiveOnesWhoseJoinWindowPlusGraceContainsNow()
    {
        // Join window: 10 min before the start to 30 min after the end (defaults); appointments last 30 min here.
        // Far from the other tests' dates, so their jobs never see these rows.
        var ct = TestContext.Current.CancellationToken;
        var t0 = new DateTimeOffset(2027, 1, 11, 15, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(t0);
        using var silo = Build(clock);
        var demo = await MigrateAndSeedAsync(silo, ct);
        var created = t0.AddDays(-1);
        // Live appointments of one doctor never overlap (a database constraint), hence the spacing.
        await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddMinutes(-100), "scheduled", created); // closed before the grace
        var closedWithinGrace = await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddMinutes(-65), "scheduled", created);
        var inProgress = await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddMinutes(-30), "inProgress", created);
        var opensSoon = await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddMinutes(5), "scheduled", created);
        await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddMinutes(40), "scheduled", created); // window not open yet
        await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddMinutes(-10), "completed", created);
        await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddMinutes(-5), "cancelled", created);

        var book = silo.GetRequiredService<IAppointmentBook>();
        var open = await book.OpenAppointmentsOfDoctorAsync(demo.DoctorId, TimeSpan.FromMinutes(10), ct);

        Assert.Equal([closedWithinGrace, inProgress, opensSoon], open);
        Assert.Equal([inProgress, opensSoon], await book.OpenAppointmentsOfDoctorAsync(demo.DoctorId, TimeSpan.Zero, ct));
        Assert.Empty(await book.OpenAppointmentsOfDoctorAsync(demo.PatientId, TimeSpan.FromMinutes(10), ct));
        Assert.Equal(open, await book.OpenAppointmentsOfPatientAsync(demo.PatientId, TimeSpan.FromMinutes(10), ct));
        Assert.Empty(await book.OpenAppointmentsOfPatientAsync(demo.DoctorId, TimeSpan.FromMinutes(10), ct));
    }

    // The schemas (idempotent; every test of the class shares the database) and the demo accounts.
    [Fact]
    public async Task Notifications_OfOneAppointment_GoOutInTheOrderTheyWereQueued()
    {
        var ct = TestContext.Current.CancellationToken;
        var t0 = new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
        // Every reading of the clock moves it 1 ms on: the outbox names its files by the time they were sent.
        var clock = new FakeTimeProvider(t0) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        using var silo = Build(clock);
        var demo = await MigrateAndSeedAsync(silo, ct);
        var appointment = await InsertAsync(demo.PatientId, demo.DoctorId, t0.AddDays(2), "cancelled", createdAt: t0);
        var notifications = silo.GetRequiredService<Notifications>();
        Assert.True(await notifications.EnqueueAsync(appointment, NotificationKinds.Booked, demo.DoctorId, ct));
        Assert.True(await notifications.EnqueueAsync(appointment, NotificationKinds.Cancelled, demo.DoctorId, ct));

        // Another silo's run has claimed the older mail and not sent it yet: this run must not send the newer one
        // before it (it did, and the doctor's last mail said "booked" about a cancelled appointment).
        await using var db = new NpgsqlConnection(ConnectionString);
        await db.ExecuteAsync("UPDATE scheduling.notifications SET claimed_at = @now, attempts = 1 WHERE kind = @kind",
            new { now = clock.GetUtcNow(), kind = NotificationKinds.Booked });
        Assert.Equal(0, await notifications.DispatchPendingAsync(10, ct));
        Assert.Empty(Directory.Exists(_outbox) ? Directory.GetFiles(_outbox, "*.json") : []);

        // That run dies without sending: once its claim is stale, the older goes, and the newer at the next run.
        clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(1, await notifications.DispatchPendingAsync(10, ct));
        Assert.Equal(1, await notifications.DispatchPendingAsync(10, ct));
        Assert.Equal(0, await notifications.DispatchPendingAsync(10, ct));
        var sent = Directory.GetFiles(_outbox, "*.json").Order(StringComparer.Ordinal)
            .Select(f => System.Text.Json.JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("kind").GetString())
            .ToList();
        Assert.Equal([NotificationKinds.Booked, NotificationKinds.Cancelled], sent);
    }

    private async Task<DemoAccounts> MigrateAndSeedAsync(ServiceProvider silo, CancellationToken ct)
    {
        await DatabaseMigrator.MigrateAsync(ConnectionString, [AuditModule.Migrations, IdentityModule.Migrations, SchedulingModule.Migrations],
            NullLogger.Instance, ct, c => IdentityModule.InitializeAsync(silo, c));
        return await IdentityModule.SeedDemoAsync(silo);
    }

    private ServiceProvider Build(TimeProvider clock)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ConnectionString,
            ["Email:OutboxDirectory"] = _outbox,
            ["Scheduling:MaxConsultationDuration"] = "01:30:00",
        });
        builder.Services.AddLogging();
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(new NodeInfo("test"));
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(ConnectionString));
        builder.Services.AddEmail(builder.Configuration);
        builder.AddAuditModule();
        builder.AddIdentityModule();
        builder.AddSchedulingModule();
        return builder.Services.BuildServiceProvider();
    }

    private async Task<Guid> InsertAsync(Guid patientId, Guid doctorId, DateTimeOffset startsAt, string status, DateTimeOffset createdAt, DateTimeOffset? startedAt = null)
    {
        var id = Guid.NewGuid();
        await using var db = new NpgsqlConnection(ConnectionString);
        await db.ExecuteAsync(
            """
            INSERT INTO scheduling.appointments (id, doctor_id, patient_id, starts_at, ends_at, blocked_from, blocked_until, status, created_at, updated_at, started_at)
            VALUES (@id, @doctorId, @patientId, @startsAt, @endsAt, @startsAt, @endsAt, @status, @createdAt, @createdAt, @startedAt)
            """,
            new { id, doctorId, patientId, startsAt, endsAt = startsAt.AddMinutes(30), status, createdAt, startedAt });
        return id;
    }

    private async Task<string> StatusAsync(Guid id)
    {
        await using var db = new NpgsqlConnection(ConnectionString);
        return await db.ExecuteScalarAsync<string>("SELECT status FROM scheduling.appointments WHERE id = @id", new { id }) ?? "";
    }
}
