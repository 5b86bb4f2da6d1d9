using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Faults;

/// <summary>
/// A closed-loop booking load: patients book random free-looking slots of a few doctors through the silos
/// (round robin), as fast as answers come. Every 201 is remembered as an acknowledged booking; every other
/// answer is counted by status, and a 5xx must be a 503 problem+json (an unavailable dependency), never a 500.
/// </summary>
internal sealed class BookingLoad : IAsyncDisposable
{
    private readonly List<TelemedicinaApi> _apis;
    private readonly TestUser[] _patients;
    private readonly (Guid Doctor, DateTimeOffset StartsAt)[] _slots;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly ConcurrentBag<string> _errors = [];
    private Func<IReadOnlyList<TelemedicinaApi>> _targets;
    private long _lastSuccessTicks;

    private BookingLoad(List<TelemedicinaApi> apis, TestUser[] patients, (Guid, DateTimeOffset)[] slots)
    {
        _apis = apis;
        _patients = patients;
        _slots = slots;
        _targets = () => _apis;
    }

    /// <summary>Appointments answered with 201: id, doctor and start.</summary>
    public ConcurrentDictionary<Guid, (Guid Doctor, DateTimeOffset StartsAt)> Acknowledged { get; } = new();

    /// <summary>Answers that were neither 201, 409, 422 nor 503 problem+json, and transport errors.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    public int Count(HttpStatusCode status) => _statuses.GetValueOrDefault((int)status);

    public int Total => _statuses.Values.Sum();

    public IReadOnlyCollection<double> LatenciesMs => _latencies;

    /// <summary>When the last 201 was answered (Stopwatch ticks).</summary>
    public long LastSuccessTicks => Interlocked.Read(ref _lastSuccessTicks);

    public string Summary => string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));

    /// <summary>Registers <paramref name="doctors"/> verified doctors and <paramref name="patients"/> consenting patients.</summary>
    public static async Task<BookingLoad> PrepareAsync(TestCluster cluster, TestUser admin, int doctors, int patients)
    {
        var apis = cluster.Silos.Select(s => new TelemedicinaApi(s.BaseUrl, cluster.Outbox)).ToList();
        var api = apis[0];
        var ds = await Task.WhenAll(Enumerable.Range(0, doctors).Select(i => Scenario.VerifiedDoctorAsync(apis[i % apis.Count], admin)));
        var ps = await Task.WhenAll(Enumerable.Range(0, patients).Select(i => Scenario.ConsentingPatientAsync(apis[i % apis.Count])));
        var now = DateTimeOffset.UtcNow;
        var slots = new List<(Guid, DateTimeOffset)>();
        foreach (var doctor in ds)
        {
            foreach (var slot in await api.SlotsAsync(ps[0], doctor.Id, now.AddHours(2), now.AddDays(6)))
            {
                slots.Add((doctor.Id, slot.StartsAt));
            }
        }

        return new BookingLoad(apis, ps, [.. slots]);
    }

    /// <summary>Which silos the load goes to from now on (scale-in and scale-out tests change it).</summary>
    public void Target(Func<IReadOnlyList<TelemedicinaApi>> targets) => _targets = targets;

    public TelemedicinaApi ApiFor(SiloProcess silo)
    {
        var api = new TelemedicinaApi(silo.BaseUrl);
        lock (_apis)
        {
            _apis.Add(api);
        }

        return api;
    }

    public void Start(TimeSpan? pause = null)
    {
        for (var w = 0; w < _patients.Length; w++)
        {
            var patient = _patients[w];
            var worker = w;
            _workers.Add(Task.Run(() => RunAsync(patient, worker, pause ?? TimeSpan.Zero)));
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    /// <summary>Every acknowledged booking is in the database, live, exactly once; no doctor or patient is double-booked.</summary>
    public async Task VerifyAsync(string connectionString)
    {
        await using var db = new NpgsqlConnection(connectionString);
        var rows = (await db.QueryAsync<(Guid Id, Guid DoctorId, DateTime StartsAt, string Status)>(
            "SELECT id, doctor_id, starts_at, status FROM scheduling.appointments WHERE id = ANY(@ids)",
            new { ids = Acknowledged.Keys.ToArray() })).ToDictionary(r => r.Id);
        var missing = Acknowledged.Keys.Where(id => !rows.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {Acknowledged.Count} bookings answered 201 are not in the database: {string.Join(", ", missing.Take(5))}");
        foreach (var (id, (doctor, startsAt)) in Acknowledged)
        {
            var row = rows[id];
            Assert.Equal(doctor, row.DoctorId);
            Assert.Equal(startsAt.UtcDateTime, DateTime.SpecifyKind(row.StartsAt, DateTimeKind.Utc));
            Assert.Equal("scheduled", row.Status);
        }

        var doubleBooked = await db.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM scheduling.appointments a JOIN scheduling.appointments b
              ON a.id < b.id AND a.status IN ('scheduled', 'inProgress') AND b.status IN ('scheduled', 'inProgress')
             AND (a.doctor_id = b.doctor_id OR a.patient_id = b.patient_id)
             AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)')
            """);
        Assert.Equal(0, doubleBooked);
        Assert.True(_errors.IsEmpty, $"{_errors.Count} unexpected answers: {string.Join(" | ", _errors.Take(5))}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
        foreach (var api in _apis)
        {
            api.Dispose();
        }
    }

    private async Task RunAsync(TestUser patient, int worker, TimeSpan pause)
    {
        var random = new Random(worker);
        var n = worker;
        while (!_stop.IsCancellationRequested)
        {
            var targets = _targets();
            var api = targets[n++ % targets.Count];
            var (doctor, startsAt) = _slots[random.Next(_slots.Length)];
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await api.SendAsync(HttpMethod.Post, "/api/v1/scheduling/appointments", new { doctorId = doctor, startsAt = TelemedicinaApi.Iso(startsAt) }, patient.AccessToken);
                var status = (int)response.StatusCode;
                _statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.Created:
                        var booked = (await response.Content.ReadFromJsonAsync<Booked>(ApiJson.Options))!;
                        Acknowledged[booked.AppointmentId] = (doctor, startsAt);
                        _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        Interlocked.Exchange(ref _lastSuccessTicks, Stopwatch.GetTimestamp());
                        break;
                    case HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity:
                        _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        break;
                    case HttpStatusCode.ServiceUnavailable when response.Content.Headers.ContentType?.MediaType == "application/problem+json":
                        await Task.Delay(100);
                        break;
                    default:
                        _errors.Add($"{status} {response.Content.Headers.ContentType?.MediaType} from {api.BaseUrl}: {Truncate(await response.Content.ReadAsStringAsync())}");
                        await Task.Delay(100);
                        break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !_stop.IsCancellationRequested)
            {
                _errors.Add($"{e.GetType().Name} from {api.BaseUrl}: {e.Message}");
                await Task.Delay(100);
            }

            if (pause > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(pause, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static string Truncate(string text) => text.Length > 300 ? text[..300] : text;
}
