using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.Scheduling;
using Telemedicina.Scheduling.Infrastructure;

namespace Telemedicina.IntegrationTests.Scheduling;

/// <summary>
/// The booking store against a real PostgreSQL when many transactions insert one slot at the same moment.
/// Two inserters of conflicting rows that both reach the exclusion constraint's check before either commits each
/// wait for the other, and PostgreSQL breaks the tie with a deadlock error (40P01) after deadlock_timeout: the API
/// answered that booking 503 (a CI run of the HTTP fuzzing met one). The store retries the loser, which then sees
/// the winner's committed row: a plain conflict.
/// </summary>
public sealed class ConcurrentInsertTests() : ThrowawayDatabaseTest("booking_race")
{
    private NpgsqlDataSource? _db;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await DatabaseMigrator.MigrateAsync(ConnectionString, [SchedulingModule.Migrations], NullLogger.Instance, TestContext.Current.CancellationToken);
        _db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(ConnectionString) { MaxPoolSize = 64 }.ConnectionString);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    [Fact]
    public async Task SimultaneousInsertsOfOneSlot_EachRound_OneWinsAndTheOthersConflict_NoDeadlockEscapes()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = new AppointmentStore(_db!);
        var doctorId = Guid.CreateVersion7();
        var patients = Enumerable.Range(0, 4).Select(_ => Guid.CreateVersion7()).ToArray();
        var day = new DateTimeOffset(2031, 5, 6, 12, 0, 0, TimeSpan.Zero);
        const int Rounds = 12, Inserters = 24;
        var outcomes = new Dictionary<string, int>();

        for (var round = 0; round < Rounds; round++)
        {
            // Every inserter has its connection ready, then all are released together, as bursts of bookings are.
            var startsAt = day.AddHours(round);
            using var go = new SemaphoreSlim(0);
            var attempts = Enumerable.Range(0, Inserters).Select(async i =>
            {
                // Half of them are the same few patients, so both exclusion constraints are raced.
                var row = new AppointmentRow
                {
                    Id = Guid.CreateVersion7(),
                    DoctorId = doctorId,
                    PatientId = i % 2 == 0 ? patients[i % patients.Length] : Guid.CreateVersion7(),
                    StartsAt = startsAt,
                    EndsAt = startsAt.AddMinutes(30),
                    Status = "scheduled",
                    CreatedAt = DateTimeOffset.UtcNow,
                };
                await go.WaitAsync(ct);
                try
                {
                    return (await store.InsertAsync(row, startsAt.AddMinutes(-5), startsAt.AddMinutes(35), notify: doctorId, ct)).ToString();
                }
                catch (PostgresException e)
                {
                    return e.SqlState;
                }
            }).ToList();
            go.Release(Inserters);
            foreach (var outcome in await Task.WhenAll(attempts))
            {
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }

        var summary = string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}"));
        Assert.True(
            outcomes.Keys.All(k => k is nameof(BookingConflict.None) or nameof(BookingConflict.DoctorBusy) or nameof(BookingConflict.PatientBusy)),
            "Every insert either booked or conflicted; got " + summary);
        Assert.True(outcomes.GetValueOrDefault(nameof(BookingConflict.None)) == Rounds, $"One insert per round booked; got {summary}");

        // The booking, its history entry and the doctor's notification commit together, and a refused insert leaves
        // none of the three.
        await using var connection = await _db!.OpenConnectionAsync(ct);
        var counts = await Dapper.SqlMapper.QuerySingleAsync<(long Appointments, long History, long Notifications)>(connection,
            """
            SELECT (SELECT count(*) FROM scheduling.appointments WHERE doctor_id = @doctorId),
                   (SELECT count(*) FROM scheduling.appointment_history h JOIN scheduling.appointments a ON a.id = h.appointment_id
                     WHERE a.doctor_id = @doctorId AND h.what = 'booked' AND h.by_user_id = a.patient_id),
                   (SELECT count(*) FROM scheduling.notifications n JOIN scheduling.appointments a ON a.id = n.appointment_id
                     WHERE a.doctor_id = @doctorId AND n.kind = 'booked' AND n.recipient_id = @doctorId)
            """,
            new { doctorId });
        Assert.Equal((Rounds, Rounds, Rounds), (counts.Appointments, counts.History, counts.Notifications));
    }
}
