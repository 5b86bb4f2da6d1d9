using System.Globalization;
using System.Text;

namespace Telemedicina.ClusterTests.Reliability;

/// <summary>The ids a corpus case can aim at: the room the attacker joined, its counterpart, and itself.</summary>
internal sealed record HubTargets(Guid Room, Guid Me, Guid Counterpart);

/// <summary>
/// One bad hub input: either an invocation (target + raw JSON arguments) or a whole raw frame, and
/// the answers that count as a clean refusal for it.
/// </summary>
internal sealed record HubCase(
    string Name,
    HubOutcome[] Allowed,
    string? Target = null,
    Func<HubTargets, string>? Arguments = null,
    Func<string, string>? Frame = null,
    bool ExpectsNoCompletion = false)
{
    public override string ToString() => Name;
}

/// <summary>
/// The generated hub corpus: wrong argument types and counts, nulls, invalid ids, oversize and
/// deeply nested values at every position of every hub method, unknown and non-hub methods, and
/// malformed protocol frames. Deterministic; the heavy variant adds seeded random combinations.
/// </summary>
internal static class HubCorpus
{
    private static readonly HubOutcome[] Refused = [HubOutcome.Refused];
    private static readonly HubOutcome[] RefusedOrNoOp = [HubOutcome.Refused, HubOutcome.Completed];
    private static readonly HubOutcome[] ProtocolError = [HubOutcome.Closed, HubOutcome.Refused, HubOutcome.Ignored];
    private static readonly HubOutcome[] Silent = [HubOutcome.Ignored, HubOutcome.Closed];

    // SignalR's JSON protocol skips a message of an unknown type and then waits for more input before it parses
    // what came after, so the next invocation stalls; the server drops such a connection when it times out (checked apart).
    private static readonly HubOutcome[] Stalls = [HubOutcome.Hung, HubOutcome.Closed, HubOutcome.Refused, HubOutcome.Ignored];

    /// <summary>JSON values that are never a valid argument of any position they are tried at (named for the report).</summary>
    public static IReadOnlyList<(string Name, string Json)> Values { get; } = BuildValues();

    /// <summary>JSON strings that are no room or user id: wrong shapes, injections, oddities.</summary>
    public static IReadOnlyList<(string Name, string Json)> BadIdStrings { get; } =
    [
        ("empty string", "\"\""),
        ("blank", "\"   \""),
        ("not a guid", "\"not-a-guid\""),
        ("empty guid", "\"00000000-0000-0000-0000-000000000000\""),
        ("guid too short", "\"6f9619ff-8b86-d011-b42d-00c04fc964f\""),
        ("guid with junk", "\"6f9619ff-8b86-d011-b42d-00c04fc964ff-x\""),
        ("sql injection", "\"' OR '1'='1\""),
        ("sql drop", "\"'; DROP TABLE scheduling.appointments; --\""),
        ("script", "\"<script>alert(1)</script>\""),
        ("path traversal", "\"../../../../etc/passwd\""),
        ("windows traversal", "\"..\\\\..\\\\windows\\\\win.ini\""),
        ("crlf", "\"a\\r\\nSet-Cookie: x=y\""),
        ("nul", "\"\\u0000\""),
        ("guid with nul", "\"6f9619ff-8b86-d011-b42d-00c04fc964ff\\u0000\""),
        ("lone surrogate", "\"\\ud800\""),
        ("right-to-left override", "\"\\u202e\\u0645\\u0631\\u062d\\u0628\\u0627\""),
        ("emoji", "\"\\ud83e\\ude7a\\ud83e\\ude7a\""),
        ("fullwidth digits", "\"\\uff16\\uff46\\uff19\\uff16\\uff11\\uff19\""),
        ("jndi", "\"${jndi:ldap://127.0.0.1/a}\""),
        ("template", "\"{{7*7}}\""),
        ("format string", "\"%s%s%s%n\""),
        ("long string", "\"" + new string('9', 70_000) + "\""),
        ("number as string", "\"12345\""),
    ];

    /// <summary>The deterministic corpus.</summary>
    public static List<HubCase> Build()
    {
        var cases = new List<HubCase>();
        var ids = BadIdStrings.Concat(Values).ToList();

        // JoinRoom(roomId): no bad id joins anything; a well-formed unknown id is not found either.
        foreach (var (name, json) in ids.Append(("unknown room", Quote(Guid.NewGuid()))))
        {
            cases.Add(Invoke($"JoinRoom({name})", "JoinRoom", Refused, _ => $"[{json}]"));
            cases.Add(Invoke($"ResumeRoom({name}, 0)", "ResumeRoom", Refused, _ => $"[{json},0]"));
        }

        // ResumeRoom(room, lastSeq): every non-integer and every negative number.
        foreach (var (name, json) in BadSequences())
        {
            cases.Add(Invoke($"ResumeRoom(room, {name})", "ResumeRoom", Refused, t => $"[{Quote(t.Room)},{json}]"));
        }

        // LeaveRoom(roomId): a bad id is refused; a room the connection never joined is a no-op.
        foreach (var (name, json) in ids)
        {
            cases.Add(Invoke($"LeaveRoom({name})", "LeaveRoom", IsGuidLike(json) ? RefusedOrNoOp : Refused, _ => $"[{json}]"));
        }

        cases.Add(Invoke("LeaveRoom(unknown room)", "LeaveRoom", RefusedOrNoOp, _ => $"[{Quote(Guid.NewGuid())}]"));

        // Signal(roomId, toUserId, kind, payload): one bad position at a time, the others valid.
        foreach (var (name, json) in ids.Append(("another room", Quote(Guid.NewGuid()))))
        {
            cases.Add(Invoke($"Signal(room={name})", "Signal", Refused, t => $"[{json},{Quote(t.Counterpart)},\"candidate\",\"{{}}\"]"));
        }

        foreach (var (name, json) in ids.Append(("a stranger", Quote(Guid.NewGuid()))).Append(("self", "SELF")))
        {
            cases.Add(Invoke($"Signal(to={name})", "Signal", Refused, t => $"[{Quote(t.Room)},{(json == "SELF" ? Quote(t.Me) : json)},\"candidate\",\"{{}}\"]"));
        }

        foreach (var (name, json) in BadKinds().Concat(Values))
        {
            cases.Add(Invoke($"Signal(kind={name})", "Signal", Refused, t => $"[{Quote(t.Room)},{Quote(t.Counterpart)},{json},\"{{}}\"]"));
        }

        // An offer's payload is opaque, as every kind's (a string up to 64 KiB): every non-string, and a longer string, is refused.
        foreach (var (name, json) in Values.Where(v => !v.Json.StartsWith('"')).Append(("oversize sdp", "\"v=" + new string('a', 64 * 1024) + "\"")).Append(("long string", "\"" + new string('9', 70_000) + "\"")))
        {
            cases.Add(Invoke($"Signal(offer payload={name})", "Signal", Refused, t => $"[{Quote(t.Room)},{Quote(t.Counterpart)},\"offer\",{json}]"));
        }

        cases.Add(Invoke("Signal(candidate payload=2049 chars)", "Signal", Refused, t => $"[{Quote(t.Room)},{Quote(t.Counterpart)},\"candidate\",\"{new string('c', 2049)}\"]"));
        cases.Add(Invoke("Signal(answer payload=64 KiB+1)", "Signal", Refused, t => $"[{Quote(t.Room)},{Quote(t.Counterpart)},\"answer\",\"{new string('a', (64 * 1024) + 1)}\"]"));
        foreach (var kind in new[] { "answer", "candidate", "restart", "bye" })
        {
            cases.Add(Invoke($"Signal({kind} payload=null)", "Signal", Refused, t => $"[{Quote(t.Room)},{Quote(t.Counterpart)},\"{kind}\",null]"));
        }

        // Chat(roomId, text): bad rooms, and text that is no chat line.
        foreach (var (name, json) in ids.Append(("another room", Quote(Guid.NewGuid()))))
        {
            cases.Add(Invoke($"Chat(room={name})", "Chat", Refused, _ => $"[{json},\"oi\"]"));
        }

        foreach (var (name, json) in Values.Concat(BadChatTexts()))
        {
            cases.Add(Invoke($"Chat(text={name})", "Chat", Refused, t => $"[{Quote(t.Room)},{json}]"));
        }

        // Wrong argument counts for every method.
        var arities = new (string Method, int Arity, Func<HubTargets, string[]> Valid)[]
        {
            ("Ping", 0, _ => []),
            ("JoinRoom", 1, t => [Quote(t.Room)]),
            ("ResumeRoom", 2, t => [Quote(t.Room), "0"]),
            ("LeaveRoom", 1, t => [Quote(Guid.NewGuid())]),
            ("Signal", 4, t => [Quote(t.Room), Quote(t.Counterpart), "\"candidate\"", "\"{}\""]),
            ("Chat", 2, t => [Quote(t.Room), "\"oi\""]),
        };
        foreach (var (method, arity, valid) in arities)
        {
            for (var count = 0; count <= arity + 3; count++)
            {
                if (count == arity)
                {
                    continue;
                }

                var n = count;
                cases.Add(Invoke($"{method} with {n} argument(s)", method, Refused, t =>
                {
                    var args = valid(t).Concat(Enumerable.Repeat("\"extra\"", 4)).Take(n);
                    return "[" + string.Join(',', args) + "]";
                }));
            }
        }

        // Methods the hub does not expose: unknown names, the base class, private helpers, odd names.
        string[] unknown =
        [
            "Broadcast", "SendToAll", "SendAsync", "OnConnectedAsync", "OnDisconnectedAsync", "Dispose", "ToString", "GetHashCode",
            "GetType", "Equals", "Finalize", "MemberwiseClone", "JoinCoreAsync", "ForwardAsync", "Throttle", "Refuse", "Me", "State",
            "Rooms", "Message", "ParseRoom", "Presence", "get_Context", "set_Context", "get_Clients", "get_Groups", "Context", "Clients",
            "Groups", "AcceptCall", "EndCall", "Join Room", "JoinRoom\u0000", "JoinRoom ", " JoinRoom", "Join%52oom", "",
            "\u202eJoinRoom", "ConsultationHub.JoinRoom", "Telemedicina.Calls.Hub.ConsultationHub.Signal", new string('X', 10_000),
        ];
        foreach (var name in unknown)
        {
            var label = name.Length > 40 ? $"{name[..10]}…({name.Length} chars)" : name;
            cases.Add(Invoke($"unknown method '{label}' without arguments", name, Refused, _ => "[]"));
            cases.Add(Invoke($"unknown method '{label}' with arguments", name, Refused, t => $"[{Quote(t.Room)},null,42]"));
        }

        cases.AddRange(Frames());
        return cases;
    }

    /// <summary>Seeded random combinations for the heavy variant: several bad positions at once.</summary>
    public static List<HubCase> Random(int count, int seed)
    {
        var random = new Random(seed);
        var pool = BadIdStrings.Concat(Values).ToList();
        var methods = new (string Name, int Arity)[] { ("JoinRoom", 1), ("ResumeRoom", 2), ("Signal", 4), ("Chat", 2) };
        var cases = new List<HubCase>(count);
        for (var i = 0; i < count; i++)
        {
            var (method, arity) = methods[random.Next(methods.Length)];
            var picks = Enumerable.Range(0, arity).Select(_ => pool[random.Next(pool.Count)]).ToArray();
            var text = string.Join(", ", picks.Select(p => p.Name));
            var args = "[" + string.Join(',', picks.Select(p => p.Json)) + "]";
            cases.Add(Invoke($"#{i} {method}({text})", method, Refused, _ => args));
        }

        return cases;
    }

    private static IEnumerable<HubCase> Frames()
    {
        static HubCase Raw(string name, HubOutcome[] allowed, Func<string, string> frame) => new(name, allowed, Frame: frame);

        const string Sep = "\u001e";
        yield return Raw("frame: not JSON", ProtocolError, _ => "hello" + Sep);
        yield return Raw("frame: truncated JSON", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Ping\",\"argu" + Sep);
        yield return Raw("frame: JSON array", ProtocolError, _ => "[1,2,3]" + Sep);
        yield return Raw("frame: JSON string", ProtocolError, _ => "\"type\"" + Sep);
        yield return Raw("frame: null", ProtocolError, _ => "null" + Sep);
        yield return Raw("frame: empty object", ProtocolError, _ => "{}" + Sep);
        yield return Raw("frame: empty record", ProtocolError, _ => Sep);
        yield return Raw("frame: missing type", ProtocolError, id => $"{{\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: type as string", ProtocolError, id => $"{{\"type\":\"1\",\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: unknown type 99", Stalls, id => $"{{\"type\":99,\"invocationId\":\"{id}\"}}" + Sep);
        yield return Raw("frame: negative type", Stalls, id => $"{{\"type\":-1,\"invocationId\":\"{id}\"}}" + Sep);
        yield return Raw("frame: type overflow", ProtocolError, id => $"{{\"type\":99999999999999999999,\"invocationId\":\"{id}\"}}" + Sep);
        yield return Raw("frame: invocation id as number", ProtocolError, id => $"{{\"type\":1,\"invocationId\":{id},\"target\":\"Ping\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: invocation id null", ProtocolError, _ => "{\"type\":1,\"invocationId\":null,\"target\":\"Ping\",\"arguments\":[]}" + Sep);
        yield return Raw("frame: missing target", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: target null", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":null,\"arguments\":[]}}" + Sep);
        yield return Raw("frame: target a number", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":7,\"arguments\":[]}}" + Sep);
        yield return Raw("frame: target an object", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":{{\"a\":1}},\"arguments\":[]}}" + Sep);
        yield return Raw("frame: missing arguments", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Ping\"}}" + Sep);
        yield return Raw("frame: arguments an object", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":{{}}}}" + Sep);
        yield return Raw("frame: arguments a string", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":\"x\"}}" + Sep);
        yield return Raw("frame: arguments null", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":null}}" + Sep);
        yield return Raw("frame: duplicate target", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Ping\",\"target\":\"Broadcast\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: headers not an object", ProtocolError, id => $"{{\"type\":1,\"headers\":[1],\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: huge header", ProtocolError, id => $"{{\"type\":1,\"headers\":{{\"x\":\"{new string('h', 60_000)}\"}},\"invocationId\":\"{id}\",\"target\":\"Nope\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: stream ids not an array", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":[],\"streamIds\":\"s\"}}" + Sep);
        yield return Raw("frame: stream ids for a non-stream method", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":[],\"streamIds\":[\"s1\"]}}" + Sep);
        yield return Raw("frame: stream invocation of a non-stream method", ProtocolError, id => $"{{\"type\":4,\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: stream invocation of an unknown method", ProtocolError, id => $"{{\"type\":4,\"invocationId\":\"{id}\",\"target\":\"Nope\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: stream item for an unknown stream", ProtocolError, id => $"{{\"type\":2,\"invocationId\":\"{id}\",\"item\":1}}" + Sep);
        yield return Raw("frame: completion for an unknown invocation", ProtocolError, id => $"{{\"type\":3,\"invocationId\":\"{id}\",\"result\":1}}" + Sep);
        yield return Raw("frame: cancel of an unknown invocation", ProtocolError, id => $"{{\"type\":5,\"invocationId\":\"{id}\"}}" + Sep);
        yield return Raw("frame: client ping", ProtocolError, _ => "{\"type\":6}" + Sep);
        yield return Raw("frame: ack without stateful reconnect", ProtocolError, _ => "{\"type\":8,\"sequenceId\":5}" + Sep);
        yield return Raw("frame: sequence without stateful reconnect", ProtocolError, _ => "{\"type\":9,\"sequenceId\":-5}" + Sep);
        yield return Raw("frame: second handshake", ProtocolError, _ => "{\"protocol\":\"messagepack\",\"version\":1}" + Sep);
        yield return Raw("frame: two invocations in one message", ProtocolError, id =>
            $"{{\"type\":1,\"target\":\"Broadcast\",\"arguments\":[]}}{Sep}{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Nope\",\"arguments\":[]}}{Sep}");
        yield return Raw("frame: UTF-8 BOM", ProtocolError, id => $"\ufeff{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Nope\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: comments", ProtocolError, id => $"{{/* c */\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Nope\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: trailing comma", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Nope\",\"arguments\":[],}}" + Sep);
        yield return Raw("frame: single quotes", ProtocolError, id => $"{{'type':1,'invocationId':'{id}','target':'Nope','arguments':[]}}" + Sep);
        yield return Raw("frame: NaN literal", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"ResumeRoom\",\"arguments\":[\"x\",NaN]}}" + Sep);
        yield return Raw("frame: array nested 70 deep in arguments (above the parser's 64)", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"JoinRoom\",\"arguments\":[{Nest(70)}]}}" + Sep);
        yield return Raw("frame: object nested 70 deep in arguments", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Signal\",\"arguments\":[{NestObjects(70)},1,2,3]}}" + Sep);
        yield return Raw("frame: nested 200 deep in arguments", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Chat\",\"arguments\":[{Nest(200)}]}}" + Sep);
        yield return Raw("frame: nested 20,000 deep in an unknown property", ProtocolError, id => $"{{\"type\":1,\"x\":{Nest(20_000)},\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: nested objects 5,000 deep", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Chat\",\"arguments\":[{NestObjects(5000)}]}}" + Sep);
        yield return Raw("frame: 200 KB (above the 96 KB limit)", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Chat\",\"arguments\":[\"x\",\"{new string('z', 200_000)}\"]}}" + Sep);
        yield return Raw("frame: 2 MB", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Signal\",\"arguments\":[\"{new string('z', 2_000_000)}\"]}}" + Sep);
        yield return Raw("frame: 100,000 arguments", ProtocolError, id => $"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Signal\",\"arguments\":[{string.Join(',', Enumerable.Repeat("0", 100_000))}]}}" + Sep);
        yield return Raw("frame: no record separator then a valid one", ProtocolError, id => $"{{\"type\":1,\"target\":\"Nope\",\"arguments\":[]}}{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Ping\",\"arguments\":[]}}" + Sep);
        yield return Raw("frame: client close", Silent, _ => "{\"type\":7,\"error\":\"bye\"}" + Sep);

        // Invocations that expect no answer: bad input must be dropped without a reply.
        yield return new HubCase("non-blocking unknown method", Silent, Frame: _ => "{\"type\":1,\"target\":\"Broadcast\",\"arguments\":[1]}" + Sep, ExpectsNoCompletion: true);
        yield return new HubCase("non-blocking JoinRoom(not a guid)", Silent, Frame: _ => "{\"type\":1,\"target\":\"JoinRoom\",\"arguments\":[\"x\"]}" + Sep, ExpectsNoCompletion: true);
        yield return new HubCase("non-blocking Signal with wrong types", Silent, Frame: _ => "{\"type\":1,\"target\":\"Signal\",\"arguments\":[1,2,3,4]}" + Sep, ExpectsNoCompletion: true);
    }

    private static List<(string Name, string Json)> BuildValues() =>
    [
        ("null", "null"),
        ("true", "true"),
        ("false", "false"),
        ("zero", "0"),
        ("negative", "-1"),
        ("integer", "42"),
        ("fraction", "1.5"),
        ("1e308", "1e308"),
        ("long overflow", "9223372036854775808"),
        ("long underflow", "-9223372036854775809"),
        ("huge number", "1" + new string('0', 400)),
        ("empty array", "[]"),
        ("array of guids", $"[{Quote(Guid.NewGuid())}]"),
        ("empty object", "{}"),
        ("object with a roomId", $"{{\"roomId\":{Quote(Guid.NewGuid())}}}"),
        ("array nested 60 deep", Nest(60)),
        ("object nested 60 deep", NestObjects(60)),
    ];

    private static IEnumerable<(string Name, string Json)> BadSequences() =>
    [
        ("-1", "-1"),
        ("long.MinValue", long.MinValue.ToString(CultureInfo.InvariantCulture)),
        ("null", "null"),
        ("1.5", "1.5"),
        ("1e308", "1e308"),
        ("overflow", "9223372036854775808"),
        ("underflow", "-9223372036854775809"),
        ("string", "\"abc\""),
        ("empty string", "\"\""),
        ("true", "true"),
        ("array", "[0]"),
        ("object", "{}"),
        ("NaN as string", "\"NaN\""),
        ("Infinity as string", "\"Infinity\""),
        ("nested", Nest(60)),
    ];

    private static IEnumerable<(string Name, string Json)> BadKinds() =>
    [
        ("unknown", "\"shutdown\""),
        ("empty", "\"\""),
        ("upper case", "\"OFFER\""),
        ("title case", "\"Offer\""),
        ("padded", "\" offer \""),
        ("with nul", "\"offer\\u0000\""),
        ("chat", "\"chat\""),
        ("sql", "\"offer'; --\""),
        ("script", "\"<script>\""),
        ("long", "\"" + new string('k', 10_000) + "\""),
        ("cyrillic lookalike", "\"\\u043efer\""),
    ];

    private static IEnumerable<(string Name, string Json)> BadChatTexts() =>
    [
        ("empty", "\"\""),
        ("spaces", "\"   \""),
        ("whitespace mix", "\"\\t\\r\\n\\u2003\\u00a0\""),
        ("2,001 chars", "\"" + new string('x', 2001) + "\""),
        ("64 KiB", "\"" + new string('x', 64 * 1024) + "\""),
    ];

    private static HubCase Invoke(string name, string target, HubOutcome[] allowed, Func<HubTargets, string> arguments) =>
        new(name, allowed, target, arguments);

    private static bool IsGuidLike(string json) =>
        json.StartsWith('"') && Guid.TryParse(json.Trim('"'), out var id) && id != Guid.Empty;

    public static string Quote(Guid id) => "\"" + id.ToString() + "\"";

    public static string Nest(int depth) => new StringBuilder().Append('[', depth).Append(']', depth).ToString();

    public static string NestObjects(int depth)
    {
        var text = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            text.Append("{\"a\":");
        }

        text.Append('1');
        return text.Append('}', depth).ToString();
    }
}
