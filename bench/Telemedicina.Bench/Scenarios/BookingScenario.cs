using System.Diagnostics;
using System.Net;
using Npgsql;
using Telemedicina.Bench.Measurement;
using Telemedicina.Bench.Reporting;
using Telemedicina.Bench.Systems;
using Telemedicina.Testing;

namespace Telemedicina.Bench.Scenarios;

/// <summary>Settings of S4.</summary>
internal sealed record BookingLoad(int Clients, int Doctors, TimeSpan Measure, int Seed, TimeSpan Warmup = default);

/// <summary>
/// S4 (ours only): <see cref="BookingLoad.Clients"/> patients, half on each silo, book <see cref="BookingLoad.Doctors"/>
/// doctors' 15-minute slots as fast as they can (closed loop, one request at a time per client). The slots (time, doctor)
/// are lined up by time; every client picks at random among the next <see cref="BookingPlan.Window"/> slots after the
/// number booked so far, so about two clients race for every slot in play and each client books many slots. Afterwards the database is checked for overlapping live
/// appointments of one doctor (must be 0) and the number of booked rows is compared with the 201s seen. The first
/// <see cref="BookingLoad.Warmup"/> of load is not recorded (the booking path's first calls JIT-compile it and grow the
/// thread and connection pools, as in S1's warm-up).
/// </summary>
internal static class BookingScenario
{
    public static async Task<ResultRow> RunAsync(OursSystem ours, BookingLoad load, CancellationToken ct)
    {
        var cluster = ours.Cluster;
        var silos = Math.Min(2, cluster.Silos.Count);
        var apis = Enumerable.Range(0, silos).Select(cluster.Api).ToList();
        try
        {
            // Setup (not measured): doctors verified with all-day 15-minute availability, patients with consent.
            var setup = Stopwatch.StartNew();
            var run = Guid.NewGuid().ToString("N")[..8];
            var doctors = new TestUser[load.Doctors];
            var patients = new TestUser[load.Clients];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct };
            await Parallel.ForEachAsync(Enumerable.Range(0, load.Doctors), parallel, async (i, _) =>
            {
                var api = apis[0];
                var doctor = await OursSystem.Retry(() => OursSystem.RegisterAsync(api, $"s4-medico-{run}-{i}@bench.local", "doctor", $"Dr. Agenda {i}"));
                await OursSystem.Retry(async () =>
                {
                    await api.VerifyDoctorAsync(ours.Admin, doctor.Id);
                    await api.SetAllDayAvailabilityAsync(doctor, slotMinutes: 15);
                    return 0;
                });
                doctors[i] = doctor;
            });
            await Parallel.ForEachAsync(Enumerable.Range(0, load.Clients), parallel, async (i, _) =>
            {
                var api = apis[i % silos];
                var patient = await OursSystem.Retry(() => OursSystem.RegisterAsync(api, $"s4-paciente-{run}-{i}@bench.local", "patient", $"Paciente Agenda {i}"));
                await OursSystem.Retry(async () =>
                {
                    await api.GrantConsentAsync(patient);
                    return 0;
                });
                patients[i] = patient;
            });

            // Slot times from tomorrow on (well past the minimum notice) for four weeks (inside the 30-day booking window),
            // the same for every doctor.
            var from = DateTimeOffset.UtcNow.Date.AddDays(1);
            var slots = await apis[0].SlotsAsync(patients[0], doctors[0].Id, new DateTimeOffset(from, TimeSpan.Zero), new DateTimeOffset(from.AddDays(28), TimeSpan.Zero));
            var times = slots.Select(s => s.StartsAt).ToList();
            var setupSeconds = setup.Elapsed.TotalSeconds;

            var all = new LatencyRecorder();
            var booked = new LatencyRecorder();
            long requests = 0, created = 0, conflicts = 0, errors = 0;
            var exhausted = 0;
            var warmupEnd = Stopwatch.GetTimestamp() + (long)(load.Warmup.TotalSeconds * Stopwatch.Frequency);
            var start = warmupEnd;
            var deadline = start + (long)(load.Measure.TotalSeconds * Stopwatch.Frequency);
            long bookedAll = 0;
            var cpu = RelayScenario.MeasureCpuAsync(ours, start, deadline, ct);
            var databaseCpu = MeasureTreeCpuAsync(cluster.Postgres.ProcessId, start, deadline, ct);
            var pool = times.SelectMany(t => Enumerable.Range(0, load.Doctors).Select(d => (Time: t, Doctor: d))).ToList();
            var window = BookingPlan.Window(load.Clients, load.Doctors);
            var board = new BookingBoard(pool.Count);
            await Task.WhenAll(Enumerable.Range(0, load.Clients).Select(c => Task.Run(async () =>
            {
                var api = apis[c % silos];
                var patient = patients[c];
                var random = new Random(load.Seed * 1000 + c);
                var mine = new HashSet<DateTimeOffset>();
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    // Times the patient already holds (with another doctor) are not tried: a real patient would not.
                    var index = board.Pick(window, random, i => mine.Contains(pool[i].Time));
                    if (index < 0)
                    {
                        Interlocked.Increment(ref exhausted);
                        return;
                    }

                    var (time, d) = pool[index];
                    var sent = Stopwatch.GetTimestamp();
                    var status = await TryBookAsync(api, patient, doctors[d].Id, time, ct);
                    var done = Stopwatch.GetTimestamp();
                    if (status == HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref bookedAll);
                        mine.Add(time);
                    }

                    if (status is HttpStatusCode.Created or HttpStatusCode.Conflict)
                    {
                        // Booked, or somebody else has it: either way the slot is gone from every patient's list.
                        board.Taken(index);
                    }

                    if (sent < warmupEnd)
                    {
                        continue;
                    }

                    Interlocked.Increment(ref requests);
                    all.RecordTicks(sent, done);
                    if (status == HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref created);
                        booked.RecordTicks(sent, done);
                    }
                    else
                    {
                        Interlocked.Increment(ref status == HttpStatusCode.Conflict ? ref conflicts : ref errors);
                    }
                }
            }, ct)));
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var (serverCpu, machineBusy, generatorCpu) = await cpu;
            var postgresCpu = await databaseCpu;
            var measured = Math.Max(1, Interlocked.Read(ref requests));

            var (doubleBookings, rows) = await CheckDatabaseAsync(cluster.ConnectionString, doctors.Select(d => d.Id).ToArray(), ct);
            return new ResultRow
            {
                Scenario = "S4",
                System = ours.Name,
                Load = load.Clients,
                Rate = load.Doctors,
                MeasureSeconds = elapsed,
                Sent = Interlocked.Read(ref requests),
                Delivered = Interlocked.Read(ref created),
                Conflicts = Interlocked.Read(ref conflicts),
                Errors = Interlocked.Read(ref errors),
                DoubleBookings = doubleBookings,
                P50 = all.PercentileMs(50),
                P99 = all.PercentileMs(99),
                Max = all.MaxMs(),
                AckP50 = booked.PercentileMs(50),
                AckP99 = booked.PercentileMs(99),
                ServerCpuSeconds = serverCpu,
                GeneratorCpuSeconds = generatorCpu,
                MachineBusyPercent = machineBusy,
                LoadAverage = RunInfo.ReadLoadAverage1(),
                Note = string.Join("; ", new[]
                {
                    $"{load.Doctors} doctors x {times.Count} slot times; {rows} live appointments of these doctors in the database vs {Interlocked.Read(ref bookedAll)} answered 201 (warm-up {load.Warmup.TotalSeconds:0} s included)",
                    $"CPU per request (201 or 409): silos {serverCpu * 1000 / measured:0.00} ms, PostgreSQL {postgresCpu * 1000 / measured:0.00} ms, generator {generatorCpu * 1000 / measured:0.00} ms; machine {machineBusy:0} % busy",
                    $"window of {window} slots in play (about {load.Clients / (double)window:0.#} clients per slot)",
                    exhausted > 0 ? $"{exhausted} clients ran out of slots before the end" : "",
                    $"setup {setupSeconds:0} s",
                }.Where(n => n.Length > 0)),
            };
        }
        finally
        {
            foreach (var api in apis)
            {
                api.Dispose();
            }
        }
    }

    // CPU of the database server (postmaster and backends) between the two instants; NaN when its pid is unknown.
    private static async Task<double> MeasureTreeCpuAsync(int? rootPid, long from, long to, CancellationToken ct)
    {
        if (rootPid is not { } pid)
        {
            return double.NaN;
        }

        await OursSystem.DelayUntil(from, ct);
        var before = CpuSampler.TreeSeconds(pid);
        await OursSystem.DelayUntil(to, ct);
        return CpuSampler.TreeSeconds(pid) - before;
    }

    private static async Task<HttpStatusCode> TryBookAsync(TelemedicinaApi api, TestUser patient, Guid doctorId, DateTimeOffset startsAt, CancellationToken ct)
    {
        try
        {
            using var response = await api.SendAsync(HttpMethod.Post, "/api/v1/scheduling/appointments",
                new { doctorId, startsAt = TelemedicinaApi.Iso(startsAt) }, patient.AccessToken);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return 0;
        }
    }

    /// <summary>Live appointments overlapping an earlier one of their doctor and the number of live appointments of these doctors.</summary>
    internal static async Task<(long DoubleBookings, long Rows)> CheckDatabaseAsync(string connectionString, Guid[] doctors, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var overlaps = new NpgsqlCommand(BookingPlan.DoubleBookingSql, connection);
        overlaps.Parameters.AddWithValue("doctors", doctors);
        var doubleBookings = (long)(await overlaps.ExecuteScalarAsync(ct))!;
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM scheduling.appointments WHERE doctor_id = ANY(@doctors) AND status IN ('scheduled', 'inProgress')", connection);
        count.Parameters.AddWithValue("doctors", doctors);
        var rows = (long)(await count.ExecuteScalarAsync(ct))!;
        return (doubleBookings, rows);
    }
}

/// <summary>The pure parts of S4: the order a client tries doctors in, and the double-booking query.</summary>
internal static class BookingPlan
{
    /// <summary>
    /// Live appointments that overlap an earlier live appointment of the same doctor (0 when no doctor is booked twice at
    /// any instant). Deliberately independent of the table's exclusion constraint (it checks what the constraint is meant
    /// to guarantee): plain time ranges, no buffers. One pass per doctor in start order, each appointment compared with the
    /// latest end before it, so a minute of S4 (tens of thousands of rows) is checked in well under a second; the pairwise
    /// self-join it replaces outran the 30 s command timeout after 90 s of load (about 2,700 appointments per doctor).
    /// </summary>
    public const string DoubleBookingSql = """
        SELECT count(*) FROM (
          SELECT starts_at,
                 max(ends_at) OVER (PARTITION BY doctor_id ORDER BY starts_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end
            FROM scheduling.appointments
           WHERE doctor_id = ANY(@doctors) AND status IN ('scheduled', 'inProgress')
        ) live
        WHERE earlier_end > starts_at
        """;

    /// <summary>Slots in play at a time: half the clients' count (about two contenders per slot), at least one time's worth of doctors.</summary>
    public static int Window(int clients, int doctors) => Math.Max(doctors, clients / 2);
}

/// <summary>
/// The slots every patient's list still shows, in time order: what a patient's page shows after a refresh. A slot leaves
/// it once somebody booked it (a 201, or a 409 that says it is taken). Clients pick at random among the first
/// <c>window</c> open slots, so the contention per slot stays what <see cref="BookingPlan.Window"/> sets.
/// </summary>
/// <remarks>
/// Until 2026-12-05 clients picked among the <c>window</c> slots after the number booked so far, without knowing which
/// of them were taken. Bookings land at random inside the window, so it filled up behind the count: 85 % of the requests
/// were 409s for slots booked a while before, about six requests per booking rather than the two the window was meant for.
/// </remarks>
internal sealed class BookingBoard(int poolCount)
{
    private readonly List<int> _open = [.. Enumerable.Range(0, poolCount)];
    private readonly Lock _gate = new();

    /// <summary>A slot index at random among the first <paramref name="window"/> open ones not skipped; −1 when none is left.</summary>
    public int Pick(int window, Random random, Func<int, bool> skip)
    {
        Span<int> candidates = stackalloc int[window];
        var count = 0;
        lock (_gate)
        {
            foreach (var index in _open)
            {
                if (skip(index))
                {
                    continue;
                }

                candidates[count++] = index;
                if (count == window)
                {
                    break;
                }
            }
        }

        return count == 0 ? -1 : candidates[random.Next(count)];
    }

    /// <summary>The slot is booked: no patient's list shows it any more.</summary>
    public void Taken(int index)
    {
        lock (_gate)
        {
            var at = _open.BinarySearch(index);
            if (at >= 0)
            {
                _open.RemoveAt(at);
            }
        }
    }

    /// <summary>Slots nobody has booked yet.</summary>
    public int OpenCount
    {
        get
        {
            lock (_gate)
            {
                return _open.Count;
            }
        }
    }
}
