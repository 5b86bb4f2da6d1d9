using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Reliability;

/// <summary>
/// HTTP fuzzing driven by the host's own OpenAPI document (issue 9): every operation gets a seeded
/// mix of bad requests, anonymous and as each role that reaches its validation. No answer may be a
/// 5xx, every 4xx is RFC 9457 problem+json with type, title, status and detail (CONTRACT.md), no
/// answer shows internals, the silos stay ready, and data made before the run is intact.
/// Reproduce a failure with the seed it prints (TELEMEDICINA_FUZZ_SEED); TELEMEDICINA_HEAVY=1 sends ten times as many.
/// </summary>
[Collection(ReliabilityGroup.Name)]
public sealed class HttpFuzzTests(ReliabilityCluster fixture)
{
    private static readonly string[] Roles = ["patient", "doctor", "admin"];
    private static readonly string[] ProblemFields = ["type", "title", "detail"];

    [Fact]
    public async Task OpenApiFuzz_WhenEveryOperationGetsBadRequests_NoneIs5xx_Every4xxIsProblemJson_NothingLeaks_AndNothingIsLost()
    {
        var ct = TestContext.Current.CancellationToken;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TELEMEDICINA_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261201;
        var marks = fixture.LogMarks();
        using var silo1 = fixture.Cluster.Api(0);
        using var silo2 = fixture.Cluster.Api(1);
        var admin = fixture.Admin;

        // Arrange: a witness the fuzzer never learns about, and the fuzzer's own accounts and data.
        var witness = await Scenario.BookedPairAsync(silo1, silo2, admin);
        var witnessBefore = await SnapshotAsync(silo1, witness);
        var doctor = await Scenario.VerifiedDoctorAsync(silo1, admin);
        var patient = await Scenario.ConsentingPatientAsync(silo2);
        var booked = await Scenario.BookNextSlotAsync(silo2, patient, doctor);
        var call = await silo2.RequestCallAsync(patient, booked.AppointmentId);
        var sacrificial = await silo1.RegisterPatientAsync();
        var later = await silo1.SlotsAsync(patient, doctor.Id, DateTimeOffset.UtcNow.AddDays(3), DateTimeOffset.UtcNow.AddDays(4));
        var ids = new FuzzIds(
            new Dictionary<string, Guid[]>
            {
                ["anonymous"] = [patient.Id, doctor.Id, booked.AppointmentId, call.RoomId],
                ["patient"] = [patient.Id, doctor.Id, booked.AppointmentId, call.RoomId],
                ["doctor"] = [doctor.Id, patient.Id, booked.AppointmentId, call.RoomId],
                ["admin"] = [sacrificial.Id],
            },
            doctor.Id, booked.AppointmentId, later[0].StartsAt);
        var tokens = new Dictionary<string, string?> { ["anonymous"] = null, ["patient"] = patient.AccessToken, ["doctor"] = doctor.AccessToken, ["admin"] = admin.AccessToken };

        var document = JsonNode.Parse(await silo1.Http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), ct))!.AsObject();
        // The dashboard's trace endpoint streams the silo's trace until the client leaves: nothing to fuzz.
        var operations = OpenApiFuzzer.Operations(document).Where(o => o.Path != "/ops/dashboard/Trace").ToList();
        var fuzzer = new OpenApiFuzzer(document, ids);
        var clients = new[] { silo1.Http, silo2.Http };

        var failures = new ConcurrentBag<(int Index, string Text)>();

        // Every answer an operation gave must be among the responses its OpenAPI entry lists (CONTRACT.md: the document
        // describes every endpoint), but Kestrel's own refusals of a request line or headers, which come before routing.
        var answered = new ConcurrentDictionary<(FuzzOperation Operation, int Status), FuzzRequest>();
        void Observe(FuzzRequest request, int status, string? media, string body)
        {
            if (status > 0 && !OpenApiFuzzer.IsServerLevelRejection((HttpStatusCode)status, request, media, body) && !OpenApiFuzzer.LeavesItsRoute(request))
            {
                answered.TryAdd((request.Operation, status), request);
            }
        }

        // Which roles get past authorization to each operation's own checks (a framework 401/403 means they do not).
        var reach = new Dictionary<FuzzOperation, string[]>();
        foreach (var operation in operations)
        {
            var reached = new List<string>();
            foreach (var role in Roles)
            {
                var probe = fuzzer.Baseline(operation, role, new Random(seed));
                var (status, media, _, body) = await SendAsync(clients[0], probe, tokens, ct);
                Observe(probe, status, media, body);
                if (status is not (401 or 403) || body.Contains("telemedicina.local/problems/", StringComparison.Ordinal))
                {
                    reached.Add(role);
                }

                if (status >= 500)
                {
                    failures.Add((-1, $"{status} to a plain request: {Short(body)}\n    request: {probe.Describe()}"));
                }
            }

            reach[operation] = reached.Count > 0 ? [.. reached] : Roles;
        }

        // Act: every operation gets its share of >= 2,000 requests (one in five anonymous), plus one body above the size limit.
        var perOperation = (int)Math.Ceiling((ReliabilityCluster.Heavy ? 20_000 : 2_000) / (double)operations.Count);
        var requests = new List<FuzzRequest>();
        for (var n = 0; n < operations.Count; n++)
        {
            var operation = operations[n];
            var roles = reach[operation];
            requests.AddRange(fuzzer.Generate(operation, i => i % 5 == 4 ? "anonymous" : roles[i % roles.Length], perOperation, seed + n, requests.Count));
            if (operation.Method is "POST" or "PUT")
            {
                requests.Add(fuzzer.Huge(operation, roles[0], new Random(seed + n), requests.Count));
            }
        }

        var clock = Stopwatch.StartNew();
        var statuses = new ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (request, token) =>
        {
            string? failure;
            try
            {
                var (status, media, headers, body) = await SendAsync(clients[request.Index % 2], request, tokens, token);
                statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                Observe(request, status, media, body);
                failure = Judge(request, status, media, headers, body);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                statuses.AddOrUpdate(0, 1, (_, c) => c + 1);
                failure = $"no answer: {e.GetType().Name}: {e.Message}";
            }

            if (failure is not null)
            {
                failures.Add((request.Index, $"{failure}\n    request: {request.Describe()}"));
            }
        });
        var elapsed = clock.Elapsed;
        var histogram = string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{(p.Key == 0 ? "no answer" : p.Key.ToString(CultureInfo.InvariantCulture))}: {p.Value}"));
        Figures.Report($"HTTP fuzzing (seed {seed}): {requests.Count} requests over {operations.Count} OpenAPI operations in {elapsed.TotalSeconds:0.0} s; statuses {histogram}; {failures.Count} failed");

        // Assert: every answer was a clean refusal (or a success).
        // Grouped by what went wrong, three examples each, so one run shows every kind of failure.
        var groups = failures.OrderBy(f => f.Index).GroupBy(f => Kind(f.Text)).OrderByDescending(g => g.Count())
            .Select(g => $"{g.Count()} × {g.Key}:\n  " + string.Join("\n  ", g.Take(3).Select(f => f.Text))).ToList();
        var undocumented = answered
            .Where(a => document["paths"]![a.Key.Operation.Path]![a.Key.Operation.Method.ToLowerInvariant()]!["responses"]?[a.Key.Status.ToString(CultureInfo.InvariantCulture)] is null)
            .Select(a => $"{a.Key.Operation} answered {a.Key.Status}, which its OpenAPI responses do not list; e.g. {a.Value.Describe()}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Figures.Report($"OpenAPI responses: {answered.Count} (operation, status) pairs answered, {undocumented.Count} not listed in the document");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests.Count} fuzzed requests were answered badly (seed {seed}; histogram {histogram}):\n{string.Join('\n', groups.Take(30))}");
        Assert.True(undocumented.Count == 0, $"{undocumented.Count} answers are missing from the OpenAPI document:\n{string.Join('\n', undocumented.Take(40))}");

        // The silos are alive, ready, and logged no unhandled error.
        await fixture.AssertAllReadyAsync();
        // EF Core logs every failed command, save and query at Error, also those the API answers with a 4xx (a CPF already
        // registered is a 409; a NUL character no longer gets that far, NulCharacterTests); the answers are checked above,
        // and a failure the API does not handle is also logged by the host's error handler (category Telemedicina.*),
        // which this check still sees.
        var errors = fixture.ErrorsSince(marks).Where(e => !e.Contains(": Microsoft.EntityFrameworkCore.", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, $"The silos logged {errors.Count} error(s) during fuzzing:\n{string.Join('\n', errors.Take(20))}");

        // Nothing was lost: the witness's data is as it was, both can still log in, the audit chain verifies.
        await silo2.LoginAsync(witness.Patient);
        await silo1.LoginAsync(witness.Doctor);
        Assert.Equal(witnessBefore, await SnapshotAsync(silo1, witness));
        var verify = await silo1.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/admin/audit/verify", null, admin.AccessToken);
        Assert.True(verify.GetProperty("valid").GetBoolean(), "The audit chain no longer verifies: " + verify.GetRawText());
    }

    /// <summary>What must survive the fuzzing: the witness's appointment (both sides' view), its history and the patient's consents.</summary>
    private static async Task<string> SnapshotAsync(TelemedicinaApi api, BookedPair witness)
    {
        var id = witness.Booked.AppointmentId;
        var parts = new[]
        {
            await api.SendAsync<JsonElement>(HttpMethod.Get, $"/api/v1/scheduling/appointments/{id}", null, witness.Patient.AccessToken),
            await api.SendAsync<JsonElement>(HttpMethod.Get, $"/api/v1/scheduling/appointments/{id}", null, witness.Doctor.AccessToken),
            await api.SendAsync<JsonElement>(HttpMethod.Get, $"/api/v1/scheduling/appointments/{id}/history", null, witness.Patient.AccessToken),
            await api.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/privacy/consents", null, witness.Patient.AccessToken),
            await api.SendAsync<JsonElement>(HttpMethod.Get, "/api/v1/identity/me", null, witness.Patient.AccessToken),
        };
        return string.Join('\n', parts.Select(p => p.GetRawText()));
    }

    private static async Task<(int Status, string? Media, string Headers, string Body)> SendAsync(
        HttpClient client, FuzzRequest request, Dictionary<string, string?> tokens, CancellationToken ct)
    {
        if (request.HugeLength > 0)
        {
            return await SendHugeAsync(client.BaseAddress!, request, tokens[request.Role], ct);
        }

        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(request.PathAndQuery, UriKind.Relative));
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
        }

        if (message.Content is not null && request.ContentType is not null)
        {
            message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
        }

        if (tokens[request.Role] is { } token)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach (var (name, value) in request.Headers)
        {
            message.Headers.Remove(name);
            message.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(message, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        var headers = string.Join('\n', response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(",", h.Value)}"));
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, headers, body);
    }

    /// <summary>Why an answer is not acceptable, or null when it is.</summary>
    private static string? Judge(FuzzRequest request, int status, string? media, string headers, string body)
    {
        if (status >= 500)
        {
            return $"{status} {media}: {Short(body)}";
        }

        if (status >= 400 && !OpenApiFuzzer.IsServerLevelRejection((HttpStatusCode)status, request, media, body))
        {
            if (media != "application/problem+json")
            {
                return $"{status} answered with Content-Type {media ?? "<none>"}, not application/problem+json: {Short(body)}";
            }

            try
            {
                using var problem = JsonDocument.Parse(body);
                var root = problem.RootElement;
                var missing = ProblemFields.Where(f => !root.TryGetProperty(f, out var v) || v.ValueKind != JsonValueKind.String || v.GetString()!.Length == 0).ToList();
                if (!root.TryGetProperty("status", out var code) || code.ValueKind != JsonValueKind.Number || code.GetInt32() != status)
                {
                    missing.Add("status");
                }

                if (missing.Count > 0)
                {
                    return $"{status} problem without {string.Join(", ", missing)}: {Short(body)}";
                }
            }
            catch (JsonException)
            {
                return $"{status} problem+json that is not JSON: {Short(body)}";
            }
        }

        // The ops dashboard (admin only) shows grain type names by design; everything else is scanned.
        var scanned = status < 400 && request.Operation.Path.StartsWith("/ops/dashboard", StringComparison.Ordinal) ? "" : body;
        if (media is not null && (media.Contains("javascript", StringComparison.Ordinal) || media.StartsWith("image/", StringComparison.Ordinal) || media.Contains("css", StringComparison.Ordinal)))
        {
            scanned = "";
        }

        return Leaks.Find(scanned) is { } leak ? $"{status} leaks {leak}: {Short(body)}"
            : Leaks.Find(headers) is { } headerLeak ? $"{status} leaks {headerLeak} in a header"
            : null;
    }

    /// <summary>A failure's kind: its status and complaint without the body, and the operation.</summary>
    private static string Kind(string failure)
    {
        var first = failure.Split('\n')[0];
        var cut = first.IndexOfAny([':', '{']);
        var request = failure.Split("request: ").Last();
        var operation = request.Split(": ", 2).Last().Split(" | ")[0].Split('?')[0];
        return (cut > 0 ? first[..cut] : first) + " — " + string.Join('/', operation.Split('/').Take(5));
    }

    private static string Short(string text) => text.Length > 500 ? text[..500] + "…" : text;

    /// <summary>
    /// Declares a body above the limit and sends only the headers over a raw socket: the server must answer
    /// (413 when the endpoint reads its body) without waiting for 30 MB that never come.
    /// </summary>
    private static async Task<(int Status, string? Media, string Headers, string Body)> SendHugeAsync(Uri server, FuzzRequest request, string? token, CancellationToken ct)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, ct);
        var stream = tcp.GetStream();
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{request.Method} {request.PathAndQuery} HTTP/1.1\r\nHost: {server.Authority}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {request.ContentType}\r\nContent-Length: {request.HugeLength}\r\nConnection: close\r\n");
        if (token is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Authorization: Bearer {token}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int headerEnd;
        while ((headerEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                throw new IOException("The server closed the connection without an answer.");
            }

            received.Write(buffer, 0, n);
        }

        var headerText = Encoding.ASCII.GetString(received.GetBuffer(), 0, headerEnd);
        var lines = headerText.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var media = headers.TryGetValue("Content-Type", out var type) ? type.Split(';')[0].Trim() : null;
        var length = headers.TryGetValue("Content-Length", out var declared) ? int.Parse(declared, CultureInfo.InvariantCulture) : -1;
        var body = new MemoryStream();
        body.Write(received.GetBuffer(), headerEnd + 4, (int)received.Length - headerEnd - 4);
        while (length < 0 || body.Length < length)
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                break;
            }

            body.Write(buffer, 0, n);
        }

        var bytes = body.ToArray();
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            bytes = Unchunk(bytes);
        }

        var text = Encoding.UTF8.GetString(bytes);

        return (status, media, string.Join('\n', headers.Select(h => $"{h.Key}: {h.Value}")), text);
    }

    private static int IndexOf(MemoryStream stream, ReadOnlySpan<byte> value) => stream.GetBuffer().AsSpan(0, (int)stream.Length).IndexOf(value);

    private static byte[] Unchunk(byte[] data)
    {
        var result = new MemoryStream();
        var at = 0;
        while (at < data.Length)
        {
            var end = data.AsSpan(at).IndexOf("\r\n"u8);
            if (end < 0 || !int.TryParse(Encoding.ASCII.GetString(data, at, end), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size == 0)
            {
                break;
            }

            var start = at + end + 2;
            result.Write(data, start, Math.Min(size, data.Length - start));
            at = start + size + 2;
        }

        return result.ToArray();
    }
}
