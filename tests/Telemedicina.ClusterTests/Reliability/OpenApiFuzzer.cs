using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Telemedicina.ClusterTests.Reliability;

/// <summary>One operation of the OpenAPI document.</summary>
internal sealed record FuzzOperation(string Method, string Path, IReadOnlyList<FuzzParameter> Parameters, JsonObject? Body, bool HasJsonBody)
{
    public override string ToString() => $"{Method} {Path}";
}

internal sealed record FuzzParameter(string Name, string In, JsonObject Schema);

/// <summary>One generated request, reproducible from its index and the seed; <see cref="Describe"/> is what a failure prints.</summary>
internal sealed record FuzzRequest(
    int Index,
    FuzzOperation Operation,
    string Role,
    string Mutation,
    string Method,
    string PathAndQuery,
    string? ContentType,
    byte[]? Body,
    IReadOnlyDictionary<string, string> Headers,
    long HugeLength = 0)
{
    public string Describe()
    {
        var body = HugeLength > 0
            ? $"<{HugeLength:N0} bytes of '['>"
            : Body is null ? "<none>" : Preview(Encoding.UTF8.GetString(Body));
        var headers = string.Join(", ", Headers.Select(h => $"{h.Key}: {Preview(h.Value, 80)}"));
        return $"#{Index} [{Mutation}] as {Role}: {Method} {Preview(PathAndQuery, 400)} | Content-Type: {ContentType ?? "<none>"} | {headers} | body: {body}";
    }

    private static string Preview(string text, int max = 600) =>
        (text.Length > max ? text[..max] + $"…({text.Length:N0} chars)" : text).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
}

/// <summary>Real ids the generator may aim at, per role (admins only at a sacrificial account).</summary>
internal sealed record FuzzIds(IReadOnlyDictionary<string, Guid[]> ByRole, Guid DoctorId, Guid AppointmentId, DateTimeOffset FreeSlot);

/// <summary>
/// Generates bad HTTP requests from the host's OpenAPI document: for every operation, a seeded mix
/// of malformed JSON, wrong types, missing and extra fields, invalid ids, dates and enum values,
/// injection strings, bad query strings and content types, big bodies and odd headers. The same
/// seed gives the same requests (ids of the run's own accounts aside).
/// </summary>
internal sealed class OpenApiFuzzer(JsonObject document, FuzzIds ids)
{
    /// <summary>Strings that try SQL, script, path, header and template injection, and unicode oddities.</summary>
    public static readonly string[] Injections =
    [
        "' OR '1'='1", "'; DROP TABLE identity.users; --", "1' AND pg_sleep(5)--", "' UNION ALL SELECT NULL,NULL--", "\\", "%' --", "\"; --",
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
        "../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "..\\..\\..\\windows\\win.ini", "/dev/random", "file:///etc/passwd",
        "a\r\nSet-Cookie: hacked=1", "\r\n\r\nHTTP/1.1 200 OK\r\n", "\0", "abc\0def", "\u202e\u0645\u0631\u062d\u0628\u0627", "\ufeff", "\u200b\u200c\u200d",
        "\ud83e\ude7a\ud83d\udc69\u200d\u2695\ufe0f", "\ufb01\u2168\u0130", string.Concat(Enumerable.Repeat("e\u0301", 500)), "\uffff\ufffe",
        "${jndi:ldap://127.0.0.1/a}", "{{7*7}}", "%s%n%x%d", "$(reboot)", "`id`", "| cat /etc/passwd", "null", "undefined", "NaN", "-0",
        new string('A', 10_000),
    ];

    private static readonly string[] MalformedJson =
    [
        "{", "}", "{\"a\":", "{\"a\" 1}", "{'a':'b'}", "{\"a\":1,}", "[1,2", "{\"a\":NaN}", "{\"a\":Infinity}", "{/*x*/}", "// c\n{}",
        "\ufeff{}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\ud800\"}", "{\"a\":01}", "{\"a\":1e99999}", "{\"a\":\"b\"}{\"c\":1}", "nul", "tru",
        "\"unterminated", "{\"a\":\"line\nbreak\"}", "{\"\0\":1}", "<xml/>", "a=1&b=2", "{\"a\":[" + new string(']', 3) + "}",
    ];

    private static readonly string[] BadGuids =
    [
        "not-a-guid", "00000000-0000-0000-0000-000000000000", "123", "6f9619ff-8b86-d011-b42d-00c04fc964ff-x", "6f9619ff8b86d011b42d00c04fc964f",
        "{6f9619ff-8b86-d011-b42d-00c04fc964ff}", "' OR '1'='1", "..%2F..%2Fetc%2Fpasswd", "%00", "%ff%fe", "-1", "null", "undefined", new string('f', 3000),
    ];

    private static readonly string[] BadDates =
    [
        "2026-13-45T25:61:61Z", "2026-02-30T00:00:00Z", "yesterday", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "-1", "1e10", "2026-12-01T10:00:00+25:00",
        "", " ", "2026-12-01T10:00:00.123456789012345Z", "01/12/2026", "2026-W49", "0000-00-00", "9999-99-99", "2026-12-01T24:00:00Z", "1970-01-01T00:00:00Z", "P1D",
        "2026-02-30", "2026-13-01", "20261201",
    ];

    private static readonly string[] Accepts = ["text/html", "application/xml", "text/plain", "image/png", "*/*;q=0", "application/json;q=0, text/html", "garbage"];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
        "application/json; charset=ebcdic", "application/problem+json", "image/png", "garbage", "application/json, text/plain",
    ];

    public static List<FuzzOperation> Operations(JsonObject document)
    {
        var operations = new List<FuzzOperation>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, node) in item!.AsObject())
            {
                if (method is "parameters" or "summary" or "description" || node is not JsonObject operation)
                {
                    continue;
                }

                var parameters = (operation["parameters"]?.AsArray() ?? [])
                    .Select(p => new FuzzParameter(p!["name"]!.GetValue<string>(), p["in"]!.GetValue<string>(), p["schema"]?.AsObject() ?? []))
                    .ToList();
                var content = operation["requestBody"]?["content"]?.AsObject();
                var json = content?["application/json"]?["schema"]?.AsObject();
                operations.Add(new FuzzOperation(method.ToUpperInvariant(), path, parameters, json, json is not null));
            }
        }

        return operations;
    }

    /// <summary>A plausible request of the operation (the baseline that mutations bend).</summary>
    public FuzzRequest Baseline(FuzzOperation operation, string role, Random random, int index = -1) =>
        Request(index, operation, role, "baseline", ValidPath(operation, role, random), ValidQuery(operation, random), operation.HasJsonBody ? "application/json" : null,
            operation.HasJsonBody ? Json(ValidBody(operation, random)) : RawBodyFor(operation), new Dictionary<string, string>());

    /// <summary><paramref name="count"/> mutated requests of one operation, cycling through every mutation family that applies.</summary>
    public IEnumerable<FuzzRequest> Generate(FuzzOperation operation, Func<int, string> role, int count, int seed, int firstIndex)
    {
        var random = new Random(seed);
        var families = Families(operation).ToList();
        for (var i = 0; i < count; i++)
        {
            var index = firstIndex + i;
            yield return families[i % families.Count](index, role(i), random);
        }
    }

    /// <summary>A body above Kestrel's 30,000,000-byte limit, declared by Content-Length.</summary>
    public FuzzRequest Huge(FuzzOperation operation, string role, Random random, int index) =>
        Request(index, operation, role, "body above the limit", ValidPath(operation, role, random), ValidQuery(operation, random),
            operation.HasJsonBody ? "application/json" : "application/octet-stream", null, new Dictionary<string, string>(), hugeLength: 30_000_000 + 1024);

    private IEnumerable<Func<int, string, Random, FuzzRequest>> Families(FuzzOperation operation)
    {
        var pathParameters = operation.Parameters.Where(p => p.In == "path").ToList();
        var queryParameters = operation.Parameters.Where(p => p.In == "query").ToList();
        if (pathParameters.Count > 0)
        {
            yield return (i, role, r) => PathMutation(i, operation, role, r, pathParameters);
            yield return (i, role, r) => PathMutation(i, operation, role, r, pathParameters);
        }

        if (queryParameters.Count > 0)
        {
            yield return (i, role, r) => QueryMutation(i, operation, role, r, queryParameters);
            yield return (i, role, r) => QueryMutation(i, operation, role, r, queryParameters);
            yield return (i, role, r) => QueryOddities(i, operation, role, r);
        }

        if (operation.HasJsonBody)
        {
            yield return (i, role, r) => WithBody(i, operation, role, r, "malformed JSON", "application/json", Encoding.UTF8.GetBytes(Pick(r, MalformedJson)));
            yield return (i, role, r) => FieldMutation(i, operation, role, r);
            yield return (i, role, r) => FieldMutation(i, operation, role, r);
            yield return (i, role, r) => FieldMutation(i, operation, role, r);
            yield return (i, role, r) => MissingFields(i, operation, role, r);
            yield return (i, role, r) => ExtraFields(i, operation, role, r);
            yield return (i, role, r) => WrongTopLevel(i, operation, role, r);
            yield return (i, role, r) => WithBody(i, operation, role, r, "wrong content type", Pick(r, ContentTypes), Json(ValidBody(operation, r)));
            yield return (i, role, r) => WithBody(i, operation, role, r, "no content type", null, Json(ValidBody(operation, r)));
            yield return (i, role, r) => WithBody(i, operation, role, r, "empty body", "application/json", []);
            yield return (i, role, r) => BigBody(i, operation, role, r);
            yield return (i, role, r) => WithBody(i, operation, role, r, "invalid UTF-8", "application/json", [(byte)'{', (byte)'"', 0xC3, 0x28, 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        }
        else if (operation.Method is "POST" or "PUT")
        {
            yield return (i, role, r) => WithBody(i, operation, role, r, "unexpected JSON body", "application/json", Encoding.UTF8.GetBytes("{\"a\":" + Injection(r) + "}"));
            yield return (i, role, r) => WithBody(i, operation, role, r, "random bytes", Pick(r, ["application/octet-stream", "image/png", "image/jpeg", "application/pdf", "text/html"]), RandomBytes(r));
            yield return (i, role, r) => WithBody(i, operation, role, r, "fake file header", Pick(r, ["image/png", "image/jpeg", "application/pdf"]), FakeFile(r));
            yield return (i, role, r) => WithBody(i, operation, role, r, "multipart junk", "multipart/form-data; boundary=zz", Encoding.UTF8.GetBytes("--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../x.png\"\r\n\r\n\u0089PNG\r\n--zz--"));
        }

        yield return (i, role, r) => HeaderMutation(i, operation, role, r);
        yield return (i, role, r) => Baseline(operation, role, r, i) with { Mutation = "baseline" };
    }

    private FuzzRequest PathMutation(int index, FuzzOperation operation, string role, Random random, List<FuzzParameter> parameters)
    {
        var target = Pick(random, parameters);
        var value = IsUuid(target.Schema) ? Pick(random, BadGuids.Concat([Guid.NewGuid().ToString()]).ToArray())
            : IsInteger(target.Schema) ? Pick(random, ["-1", "2147483648", "abc", "1.5", "0x10", "1e3", "%00"])
            : target.Name == "date" ? Pick(random, BadDates) : Injection(random);
        var raw = value.Contains('%', StringComparison.Ordinal) && random.Next(2) == 0;
        var path = ValidPath(operation, role, random, (target.Name, raw ? value : Uri.EscapeDataString(value)));
        return Request(index, operation, role, $"path {target.Name}={Short(value)}", path, ValidQuery(operation, random), BodyType(operation), BodyBytes(operation, random), new Dictionary<string, string>());
    }

    private FuzzRequest QueryMutation(int index, FuzzOperation operation, string role, Random random, List<FuzzParameter> parameters)
    {
        var target = Pick(random, parameters);
        var value = IsUuid(target.Schema) ? Pick(random, BadGuids)
            : IsInteger(target.Schema) ? Pick(random, ["-1", "0", "2147483648", "-2147483649", "99999999999999999999", "abc", "1.5", "", "1,2"])
            : IsDateLike(target) ? Pick(random, BadDates)
            : target.Name is "role" or "status" ? Pick(random, ["hacker", "ADMIN", "admin", "Patient", "patient\0", "", "scheduled,cancelled", "1"])
            : Injection(random);
        var query = ValidQueryPairs(operation, random).Where(p => p.Name != target.Name).ToList();
        query.Add((target.Name, Uri.EscapeDataString(value)));
        if (random.Next(4) == 0)
        {
            query.Add((target.Name, Uri.EscapeDataString(Injection(random))));
        }

        return Request(index, operation, role, $"query {target.Name}={Short(value)}", ValidPath(operation, role, random), Query(query), BodyType(operation), BodyBytes(operation, random), new Dictionary<string, string>());
    }

    private FuzzRequest QueryOddities(int index, FuzzOperation operation, string role, Random random)
    {
        var (name, query) = random.Next(6) switch
        {
            0 => ("raw NUL and invalid UTF-8", "?" + string.Join('&', operation.Parameters.Where(p => p.In == "query").Select(p => $"{p.Name}=%00%ff%fe"))),
            1 => ("parameters without values", "?" + string.Join('&', operation.Parameters.Where(p => p.In == "query").Select(p => p.Name))),
            2 => ("unknown parameters", "?__proto__[x]=1&$where=1&debug=true&" + string.Join('&', Enumerable.Range(0, 200).Select(n => $"p{n}=x"))),
            3 => ("array syntax", "?" + string.Join('&', operation.Parameters.Where(p => p.In == "query").Select(p => $"{p.Name}[]=1&{p.Name}[0]=2"))),
            4 => ("long query (6 KB)", "?" + string.Join('&', operation.Parameters.Where(p => p.In == "query").Select(p => $"{p.Name}={new string('x', 6000 / Math.Max(1, operation.Parameters.Count))}"))),
            _ => ("encoded CRLF", "?" + string.Join('&', operation.Parameters.Where(p => p.In == "query").Select(p => $"{p.Name}=a%0d%0aX-Injected:%201"))),
        };
        return Request(index, operation, role, "query " + name, ValidPath(operation, role, random), query, BodyType(operation), BodyBytes(operation, random), new Dictionary<string, string>());
    }

    private FuzzRequest FieldMutation(int index, FuzzOperation operation, string role, Random random)
    {
        var body = ValidBody(operation, random);
        if (body is not JsonObject target || target.Count == 0)
        {
            return WrongTopLevel(index, operation, role, random);
        }

        // Sometimes reach into an array of objects (the weekly availability, say).
        var name = Pick(random, target.Select(p => p.Key).ToArray());
        if (target[name] is JsonArray { Count: > 0 } array && array[0] is JsonObject inner && inner.Count > 0 && random.Next(2) == 0)
        {
            target = inner;
            name = Pick(random, inner.Select(p => p.Key).ToArray());
        }

        var (label, value) = BadValueFor(name, target[name], random);
        target[name] = value;
        return WithBody(index, operation, role, random, $"field {name}={label}", "application/json", Json(body));
    }

    private FuzzRequest MissingFields(int index, FuzzOperation operation, string role, Random random)
    {
        var body = ValidBody(operation, random);
        if (body is not JsonObject target || target.Count == 0)
        {
            return WrongTopLevel(index, operation, role, random);
        }

        var drop = random.Next(3) == 0 ? target.Select(p => p.Key).ToList() : [Pick(random, target.Select(p => p.Key).ToArray())];
        foreach (var name in drop)
        {
            target.Remove(name);
        }

        return WithBody(index, operation, role, random, "missing " + string.Join(',', drop), "application/json", Json(body));
    }

    private FuzzRequest ExtraFields(int index, FuzzOperation operation, string role, Random random)
    {
        var body = ValidBody(operation, random) as JsonObject ?? [];
        var text = Json(body);
        var extra = random.Next(5) switch
        {
            0 => "\"__proto__\":{\"isAdmin\":true}",
            1 => "\"$type\":\"x\",\"$id\":\"1\",\"$ref\":\"#\"",
            2 => "\"role\":\"admin\",\"isAdmin\":true,\"emailConfirmed\":true,\"id\":\"" + Guid.NewGuid() + "\"",
            3 => "\"" + (body.Count > 0 ? body.First().Key : "a") + "\":" + JsonSerializer.Serialize(Injection(random)),
            _ => string.Join(',', Enumerable.Range(0, 2000).Select(n => $"\"f{n}\":{n}")),
        };
        var combined = text.Length > 2 ? text[..^1] + "," + extra + "}" : "{" + extra + "}";
        return WithBody(index, operation, role, random, "extra fields " + Short(extra, 40), "application/json", Encoding.UTF8.GetBytes(combined));
    }

    private FuzzRequest WrongTopLevel(int index, FuzzOperation operation, string role, Random random)
    {
        var body = Pick(random, ["null", "[]", "[{}]", "\"text\"", "0", "-1", "true", "{}", "[" + Json(ValidBody(operation, random)).Length + "]", HubCorpus.Nest(100), HubCorpus.NestObjects(100)]);
        return WithBody(index, operation, role, random, "top level " + Short(body, 20), "application/json", Encoding.UTF8.GetBytes(body));
    }

    private FuzzRequest BigBody(int index, FuzzOperation operation, string role, Random random)
    {
        var (label, body) = random.Next(4) switch
        {
            0 => ("nested 10,000 deep", HubCorpus.Nest(10_000)),
            1 => ("objects nested 3,000 deep", HubCorpus.NestObjects(3_000)),
            2 => ("1 MB string field", ReplaceFirstString(ValidBody(operation, random), new string('x', 1_000_000))),
            _ => ("100,000-element array", "[" + string.Join(',', Enumerable.Repeat("1", 100_000)) + "]"),
        };
        return WithBody(index, operation, role, random, "big body: " + label, "application/json", Encoding.UTF8.GetBytes(body));
    }

    private FuzzRequest HeaderMutation(int index, FuzzOperation operation, string role, Random random)
    {
        var headers = new Dictionary<string, string>();
        var label = random.Next(7) switch
        {
            0 => Set("Accept", Pick(random, Accepts)),
            1 => Set("Authorization", Pick(random, ["Bearer garbage", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "Bearer " + new string('a', 6000)])),
            2 => Set("X-Forwarded-For", Pick(random, ["' OR 1=1", "999.999.999.999", "127.0.0.1, " + new string('1', 2000), "::1"])),
            3 => Set("Accept-Language", Pick(random, ["xx-INVALID", "*;q=abc", new string('a', 3000)])),
            4 => Set("Origin", Pick(random, ["https://evil.example", "null", "file://"])),
            5 => Set("If-None-Match", Injection(random)),
            _ => Set("Accept-Charset", "utf-7"),
        };
        return Request(index, operation, role, "header " + label, ValidPath(operation, role, random), ValidQuery(operation, random), BodyType(operation), BodyBytes(operation, random), headers);

        string Set(string name, string value)
        {
            // HTTP header values are ASCII without control characters (the client refuses anything else).
            headers[name] = new string([.. value.Select(c => c is >= ' ' and <= '~' ? c : '?')]);
            return $"{name}: {Short(value, 30)}";
        }
    }

    private FuzzRequest WithBody(int index, FuzzOperation operation, string role, Random random, string mutation, string? contentType, byte[] body) =>
        Request(index, operation, role, mutation, ValidPath(operation, role, random), ValidQuery(operation, random), contentType, body, new Dictionary<string, string>());

    private static FuzzRequest Request(int index, FuzzOperation operation, string role, string mutation, string path, string query, string? contentType, byte[]? body, Dictionary<string, string> headers, long hugeLength = 0) =>
        new(index, operation, role, mutation, operation.Method, path + query, contentType, body, headers, hugeLength);

    private string ValidPath(FuzzOperation operation, string role, Random random, (string Name, string Value)? replace = null)
    {
        var path = operation.Path;
        foreach (var parameter in operation.Parameters.Where(p => p.In == "path"))
        {
            var value = replace is { } r && r.Name == parameter.Name ? r.Value : Uri.EscapeDataString(ValidPathValue(parameter, role, random));
            path = path.Replace("{" + parameter.Name + "}", value, StringComparison.Ordinal);
        }

        return path;
    }

    private string ValidPathValue(FuzzParameter parameter, string role, Random random)
    {
        if (IsUuid(parameter.Schema))
        {
            var own = ids.ByRole.TryGetValue(role, out var mine) ? mine : [];
            return random.Next(3) == 0 || own.Length == 0 ? Guid.NewGuid().ToString() : Pick(random, own).ToString();
        }

        return IsInteger(parameter.Schema) ? "1" : parameter.Name == "date" ? "2031-01-06" : "x";
    }

    private string ValidQuery(FuzzOperation operation, Random random) => Query(ValidQueryPairs(operation, random));

    private List<(string Name, string Value)> ValidQueryPairs(FuzzOperation operation, Random random) =>
        [.. operation.Parameters.Where(p => p.In == "query").Where(_ => random.Next(3) > 0).Select(p => (p.Name, Uri.EscapeDataString(ValidQueryValue(p))))];

    private string ValidQueryValue(FuzzParameter parameter) => parameter.Name switch
    {
        "from" => TelemedicinaIso(ids.FreeSlot.AddDays(-1)),
        "to" => TelemedicinaIso(ids.FreeSlot.AddDays(6)),
        "role" => "patient",
        "page" => "1",
        "timeZone" => "America/Sao_Paulo",
        "status" => "scheduled",
        "appointmentId" => ids.AppointmentId.ToString(),
        "doctorId" or "actor" or "subject" or "patientId" => ids.DoctorId.ToString(),
        _ => "a",
    };

    private static string Query(List<(string Name, string Value)> pairs) => pairs.Count == 0 ? "" : "?" + string.Join('&', pairs.Select(p => $"{p.Name}={p.Value}"));

    private static string? BodyType(FuzzOperation operation) => operation.HasJsonBody ? "application/json" : null;

    private byte[]? BodyBytes(FuzzOperation operation, Random random) => operation.HasJsonBody ? Json(ValidBody(operation, random)) : RawBodyFor(operation);

    private static byte[]? RawBodyFor(FuzzOperation operation) => null;

    private JsonNode? ValidBody(FuzzOperation operation, Random random) => Sample(operation.Body, null, random, 0);

    private JsonNode? Sample(JsonObject? schema, string? name, Random random, int depth)
    {
        if (schema is null || depth > 6)
        {
            return null;
        }

        if (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            return Sample(Resolve(reference), name, random, depth + 1);
        }

        if (schema["oneOf"] is JsonArray oneOf)
        {
            var concrete = oneOf.OfType<JsonObject>().FirstOrDefault(s => !Types(s).SequenceEqual(["null"]));
            return Sample(concrete, name, random, depth + 1);
        }

        var types = Types(schema);
        if (schema["enum"] is JsonArray { Count: > 0 } values)
        {
            return values[0]?.DeepClone();
        }

        if (types.Contains("object") || schema["properties"] is not null)
        {
            var result = new JsonObject();
            foreach (var (property, propertySchema) in schema["properties"]?.AsObject() ?? [])
            {
                result[property] = Sample(propertySchema?.AsObject(), property, random, depth + 1);
            }

            return result;
        }

        if (types.Contains("array"))
        {
            return new JsonArray(Sample(schema["items"]?.AsObject(), Singular(name), random, depth + 1));
        }

        if (types.Contains("boolean"))
        {
            return name is "cancelAppointments" or "relay" ? false : true;
        }

        if (types.Contains("integer"))
        {
            return name switch
            {
                "slotMinutes" => 30,
                "bookingWindowDays" => 30,
                "dayOfWeek" => random.Next(0, 7),
                _ => 0,
            };
        }

        if (types.Contains("number"))
        {
            return 12.5;
        }

        return NamedString(name, schema["format"]?.GetValue<string>(), random);
    }

    private JsonNode NamedString(string? name, string? format, Random random) => name switch
    {
        "email" => $"fuzz-{random.Next():x8}@teste.local",
        "password" or "currentPassword" or "newPassword" => "Fuzz-Senha-987!",
        "fullName" => "Fuzz Teste",
        "role" => "patient",
        "phone" => "+55 11 91234-5678",
        "birthDate" => "1980-01-01",
        "cpf" => "52998224725",
        "crm" => "123456",
        "crmState" => "SP",
        "specialty" => "Clínica Médica",
        "timeZone" => "America/Sao_Paulo",
        "doctorId" => ids.DoctorId.ToString(),
        "appointmentId" => ids.AppointmentId.ToString(),
        "startsAt" => TelemedicinaIso(ids.FreeSlot),
        "date" => "2031-01-06",
        "type" => "telemedicine",
        "code" => "123456",
        "start" => "08:00",
        "end" => "12:00",
        "name" => "Especialidade " + random.Next(1000).ToString(CultureInfo.InvariantCulture),
        "dataCategory" => "contato",
        _ when format == "uuid" => Guid.NewGuid().ToString(),
        _ when format == "date-time" || (name?.EndsWith("At", StringComparison.Ordinal) ?? false) => TelemedicinaIso(DateTimeOffset.UtcNow.AddHours(-1)),
        _ => "texto de teste",
    };

    private static (string Label, JsonNode? Value) BadValueFor(string name, JsonNode? current, Random random)
    {
        var kind = current?.GetValueKind();
        var options = new List<(string, Func<JsonNode?>)>
        {
            ("null", () => null),
            ("injection", () => Injection(random)),
            ("object", () => new JsonObject { ["x"] = Injection(random) }),
            ("array", () => new JsonArray(1, "a", null)),
            ("number", () => random.Next(2) == 0 ? -1 : 2147483648L),
            ("boolean", () => true),
            ("huge string", () => new string('x', 100_000)),
            ("nested", () => JsonNode.Parse(HubCorpus.Nest(60))),
        };
        if (kind == JsonValueKind.String && current!.GetValue<string>() is var text)
        {
            if (Guid.TryParse(text, out _))
            {
                options.Add(("bad guid", () => Pick(random, BadGuids)));
                options.Add(("bad guid", () => Pick(random, BadGuids)));
            }
            else if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, out _) || name.Contains("date", StringComparison.OrdinalIgnoreCase) || name.EndsWith("At", StringComparison.Ordinal))
            {
                options.Add(("bad date", () => Pick(random, BadDates)));
                options.Add(("bad date", () => Pick(random, BadDates)));
            }
            else if (name is "role" or "type" or "crmState" or "timeZone" or "start" or "end")
            {
                options.Add(("bad enum", () => Pick(random, ["admin", "ADMIN", "hacker", "", "Patient", "telemedicine\0", "America/Atlantis", "25:00", "-1", "12:60", "Etc/GMT+99"])));
                options.Add(("bad enum", () => Pick(random, ["admin", "ADMIN", "hacker", "", "Patient", "telemedicine\0", "America/Atlantis", "25:00", "-1", "12:60", "Etc/GMT+99"])));
            }
        }
        else if (kind == JsonValueKind.Number)
        {
            options.Add(("bad number", () => Pick(random, new JsonNode?[] { -2147483648, 2147483647, 1e308, -0.0, 0.5, JsonValue.Create("12") })));
            options.Add(("overflow", () => JsonNode.Parse("1" + new string('0', 400))));
        }

        var (label, make) = Pick(random, options.ToArray());
        var value = make();
        var shown = value is null ? "null" : value.ToJsonString();
        return ($"{label} {Short(shown, 40)}", value);
    }

    private JsonObject? Resolve(string reference)
    {
        const string Prefix = "#/components/schemas/";
        return reference.StartsWith(Prefix, StringComparison.Ordinal) ? document["components"]?["schemas"]?[reference[Prefix.Length..]]?.AsObject() : null;
    }

    private static string[] Types(JsonObject schema) => schema["type"] switch
    {
        JsonArray array => [.. array.Select(t => t!.GetValue<string>())],
        JsonValue value => [value.GetValue<string>()],
        _ => [],
    };

    private static bool IsUuid(JsonObject schema) => schema["format"]?.GetValue<string>() == "uuid";

    private static bool IsInteger(JsonObject schema) => Types(schema).Contains("integer");

    private static bool IsDateLike(FuzzParameter parameter) =>
        parameter.Schema["format"]?.GetValue<string>() == "date-time" || parameter.Name is "from" or "to" or "date";

    private static string? Singular(string? name) => name is { Length: > 1 } && name.EndsWith('s') ? name[..^1] : name;

    private static string ReplaceFirstString(JsonNode? body, string value)
    {
        if (body is JsonObject target && target.FirstOrDefault(p => p.Value?.GetValueKind() == JsonValueKind.String) is { Key: { } key })
        {
            target[key] = value;
            return target.ToJsonString();
        }

        return JsonSerializer.Serialize(value);
    }

    private static byte[] Json(JsonNode? node) => Encoding.UTF8.GetBytes(node?.ToJsonString() ?? "null");

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 4096)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] FakeFile(Random random)
    {
        byte[][] magic = [[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF, 0xE0], Encoding.ASCII.GetBytes("%PDF-1.7\n")];
        var head = Pick(random, magic);
        var tail = RandomBytes(random);
        return [.. head, .. tail];
    }

    private static string Injection(Random random) => Pick(random, Injections);

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string Short(string text, int max = 60) =>
        (text.Length > max ? text[..max] + "…" : text).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);

    public static string TelemedicinaIso(DateTimeOffset instant) => instant.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>
    /// What Kestrel itself answers before any middleware runs (no problem body is possible there): a request
    /// line or headers too long, and a request target whose path decodes to a NUL character (an empty 400).
    /// </summary>
    /// <summary>
    /// A path parameter left empty takes the request off its operation's route (<c>/blocked-dates/</c> for
    /// <c>/blocked-dates/{date}</c>): what answers is a sibling route (a 405 from the collection) or none (404). Such an
    /// answer is judged like any other, but it is not the operation's own, for the OpenAPI document's list.
    /// </summary>
    public static bool LeavesItsRoute(FuzzRequest request)
    {
        var path = request.PathAndQuery.Split('?')[0];
        return request.Operation.Path.Contains('{', StringComparison.Ordinal) && (path.EndsWith('/') || path.Contains("//", StringComparison.Ordinal));
    }

    public static bool IsServerLevelRejection(HttpStatusCode status, FuzzRequest request, string? media, string body) =>
        status is HttpStatusCode.RequestUriTooLong or HttpStatusCode.RequestHeaderFieldsTooLarge
        || (status == HttpStatusCode.BadRequest && media is null && body.Length == 0 && request.PathAndQuery.Split('?')[0].Contains("%00", StringComparison.Ordinal));
}
