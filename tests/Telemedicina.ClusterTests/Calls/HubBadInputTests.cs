using System.Net;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Calls;

/// <summary>
/// Bad hub input from a party of a live call: every malformed, oversized, misaddressed or unknown
/// invocation is refused with a HubException, nothing reaches the other party, a flood costs the
/// abuser its connection, and the silo stays healthy.
/// </summary>
public sealed partial class HubBadInputTests(ClusterFixture fixture)
{
    [Fact]
    public async Task BadInvocations_AreRefused_ReachNoOne_AndAFloodDisconnectsTheAbuser()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var call = await TwoSiloCall.StartAsync(fixture.Cluster, fixture.Admin);
        var (silo1, patient, patientHub, doctorHub, room) = (call.PatientSilo, call.Patient, call.PatientHub, call.DoctorHub, call.Room);
        var to = call.Doctor.Id.ToString();

        var huge = new string('a', 64 * 1024 + 1);
        var nested = new string('[', 5000) + new string(']', 5000);
        var corpus = new List<(string Name, Func<Task> Invoke)>
        {
            ("unknown kind", () => patientHub.Connection.InvokeAsync("Signal", room, to, "shutdown", "x", ct)),
            ("empty kind", () => patientHub.Connection.InvokeAsync("Signal", room, to, "", "x", ct)),
            ("null kind", () => patientHub.Connection.InvokeAsync("Signal", room, to, null, "x", ct)),
            ("oversize payload", () => patientHub.Connection.InvokeAsync("Signal", room, to, "answer", huge, ct)),
            // 64 KiB is of UTF-8: 32,769 "é" are 65,538 bytes (once let through as under 64 Ki characters), and 33,000
            // "€" (99,000 bytes) once closed the sender's connection, its frame over the hub's message size.
            ("oversize payload in 2-byte characters", () => patientHub.Connection.InvokeAsync("Signal", room, to, "answer", new string('é', 32 * 1024 + 1), ct)),
            ("oversize payload in 3-byte characters", () => patientHub.Connection.InvokeAsync("Signal", room, to, "answer", new string('€', 33_000), ct)),
            ("oversize candidate in 3-byte characters", () => patientHub.Connection.InvokeAsync("Signal", room, to, "candidate", new string('€', 683), ct)),
            ("oversize candidate", () => patientHub.Connection.InvokeAsync("Signal", room, to, "candidate", new string('c', 2049), ct)),
            ("null payload", () => patientHub.Connection.InvokeAsync("Signal", room, to, "answer", null, ct)),
            ("signal to self", () => patientHub.Connection.InvokeAsync("Signal", room, patient.Id.ToString(), "candidate", "{}", ct)),
            ("signal to a stranger", () => patientHub.Connection.InvokeAsync("Signal", room, Guid.NewGuid().ToString(), "candidate", "{}", ct)),
            ("recipient not a guid", () => patientHub.Connection.InvokeAsync("Signal", room, "'; DROP TABLE users; --", "candidate", "{}", ct)),
            ("room not joined", () => patientHub.Connection.InvokeAsync("Signal", Guid.NewGuid().ToString(), to, "candidate", "{}", ct)),
            ("room not a guid", () => patientHub.Connection.InvokeAsync("Signal", "../../etc/passwd", to, "candidate", "{}", ct)),
            ("empty room", () => patientHub.Connection.InvokeAsync("JoinRoom", Guid.Empty.ToString(), ct)),
            ("join unknown room", () => patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", Guid.NewGuid().ToString(), ct)),
            ("resume with negative seq", () => patientHub.Connection.InvokeAsync<JoinRoomResult>("ResumeRoom", room, -5L, ct)),
            ("wrong argument types", () => patientHub.Connection.InvokeAsync("Signal", 42, true, 3.5, nested, ct)),
            ("missing arguments", () => patientHub.Connection.InvokeAsync("Signal", room, ct)),
            ("too many arguments", () => patientHub.Connection.InvokeAsync("Chat", room, "oi", "extra", ct)),
            ("unknown method", () => patientHub.Connection.InvokeAsync("Broadcast", "everyone", ct)),
            ("empty chat", () => patientHub.Connection.InvokeAsync("Chat", room, "   ", ct)),
            ("oversize chat", () => patientHub.Connection.InvokeAsync("Chat", room, new string('x', 2001), ct)),
            // 2,000 characters as a reader counts them: 2,001 emoji are too many, however few UTF-16 units each takes.
            ("oversize chat in emoji", () => patientHub.Connection.InvokeAsync("Chat", room, string.Concat(Enumerable.Repeat("😀", 2001)), ct)),
            ("chat to another room", () => patientHub.Connection.InvokeAsync("Chat", Guid.NewGuid().ToString(), "oi", ct)),
            ("chat with a NUL", () => patientHub.Connection.InvokeAsync("Chat", room, "a\u0000b", ct)),
            ("chat with an escape", () => patientHub.Connection.InvokeAsync("Chat", room, "\u001b[2Joi", ct)),
            ("resume with a text seq", () => patientHub.Connection.InvokeAsync<JoinRoomResult>("ResumeRoom", room, "abc", ct)),
            ("join without a room", () => patientHub.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", ct)),
        };

        foreach (var (name, invoke) in corpus)
        {
            var refused = await Record.ExceptionAsync(invoke);
            Assert.True(refused is HubException, $"{name}: expected a HubException, got {refused?.GetType().Name ?? "success"}");
            Assert.DoesNotContain("   at ", refused!.Message, StringComparison.Ordinal);
            // In the product's words, with nothing of SignalR's English framing: what is wrong, in Portuguese.
            Assert.DoesNotMatch(EnglishFraming(), refused.Message);
            Assert.Matches(Portuguese(), refused.Message);
        }

        // Nothing reached the doctor, and the patient's connection still works.
        await patientHub.Connection.InvokeAsync("Signal", room, to, "candidate", "{\"candidate\":\"ok\"}", ct);
        var good = await doctorHub.NextAsync<SignalMessage>("Signal");
        Assert.Equal("{\"candidate\":\"ok\"}", good.Payload);

        // A payload is opaque (CONTRACT.md: a string up to 64 KiB): an offer sent as a JSON session description
        // goes through as sent, as raw SDP does.
        var described = "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\n\"}";
        await patientHub.Connection.InvokeAsync("Signal", room, to, "offer", described, ct);
        Assert.Equal(described, (await doctorHub.NextAsync<SignalMessage>("Signal")).Payload);

        // A chat line of 2,000 characters is accepted whatever they are: emoji (two UTF-16 units each), or letters
        // written with a combining accent (two code points each).
        foreach (var line in new[] { string.Concat(Enumerable.Repeat("😀", 2000)), string.Concat(Enumerable.Repeat("e\u0301", 2000)) })
        {
            await patientHub.Connection.InvokeAsync("Chat", room, line, ct);
            Assert.Equal(line, (await doctorHub.NextAsync<ChatMessage>("Chat")).Text);
        }

        // Exactly 64 KiB of UTF-8 goes through, whatever its characters.
        var largest = new string('é', 32 * 1024);
        await patientHub.Connection.InvokeAsync("Signal", room, to, "answer", largest, ct);
        Assert.Equal(largest, (await doctorHub.NextAsync<SignalMessage>("Signal")).Payload);
        Assert.Equal(0, doctorHub.Pending("Signal"));
        Assert.Equal(0, doctorHub.Pending("Chat"));

        // A flood of refused messages: the abuser is disconnected; nothing leaks; the silo stays ready.
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        patientHub.Connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        for (var i = 0; i < 300 && patientHub.Connection.State == HubConnectionState.Connected; i++)
        {
            try
            {
                await patientHub.Connection.InvokeAsync("Signal", room, to, "bogus", "x", ct);
            }
            catch (Exception e) when (e is HubException or InvalidOperationException or TaskCanceledException or IOException)
            {
                // Refused, or the connection is already gone.
            }
        }

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        await patientHub.DisposeAsync();
        var left = await doctorHub.NextAsync<PeerLeft>("PeerLeft", match: e => e.UserId == patient.Id);
        Assert.Equal("disconnected", left.Reason);
        Assert.Equal(0, doctorHub.Pending("Signal"));
        using var ready = await silo1.SendAsync(HttpMethod.Get, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // The call itself is intact: the patient comes back and the call ends normally.
        await using var patientBack = await HubClient.ConnectAsync(silo1.BaseUrl, () => patient.AccessToken);
        var rejoin = await patientBack.Connection.InvokeAsync<JoinRoomResult>("JoinRoom", room, ct);
        Assert.Equal("accepted", rejoin.Status);
        Assert.Equal("ended", (await silo1.CallActionAsync(patient, call.RoomId, "end")).Status);
    }

    [System.Text.RegularExpressions.GeneratedRegex("occurred invoking|Failed to invoke|on the server|does not exist|HubException", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex EnglishFraming();

    // A word of Portuguese every refusal has (an accent, or one of the words the refusals are written with).
    [System.Text.RegularExpressions.GeneratedRegex("[áâãàéêíóôõúç]|\\b(sala|mensagem|não|para|inválid|deve|muito|demais)", System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Portuguese();
}
