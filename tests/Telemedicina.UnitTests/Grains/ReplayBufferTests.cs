using Telemedicina.Grains;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.UnitTests.Grains;

public sealed class ReplayBufferTests
{
    private static readonly Guid Room = Guid.NewGuid();
    private static readonly Guid From = Guid.NewGuid();

    // A silo's budget that these tests never reach, unless they say otherwise.
    private static ReplayBuffer NewBuffer(ReplayBudget? budget = null) => new(budget ?? new ReplayBudget(long.MaxValue));

    private static SignalEvent Signal(long seq, string payload, string kind = SignalKinds.Candidate) => new(Room, From, kind, payload, seq);

    // Keeps a signal; the numbers of those dropped for it, in the order they were dropped.
    private static List<long> Add(ReplayBuffer buffer, SignalEvent signal)
    {
        var dropped = new List<long>();
        buffer.Add(signal, dropped, static (list, seq) => list.Add(seq));
        return dropped;
    }

    [Fact]
    public void ReplaysWhatCameAfterANumber_InOrder_AsItWasSent()
    {
        var buffer = NewBuffer();
        // ASCII (SDP), text beyond Latin-1 and a character outside the BMP: each must come back exactly.
        string[] payloads = ["v=0\r\no=- 1 2 IN IP4 127.0.0.1", "olá, médica — ção", "emoji 😀 ok", ""];
        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.Empty(Add(buffer, Signal(i + 1, payloads[i], i == 0 ? SignalKinds.Offer : SignalKinds.Candidate)));
        }

        var replayed = buffer.After(Room, 1).ToList();

        Assert.Equal([2L, 3L, 4L], replayed.Select(s => s.Seq));
        Assert.Equal(payloads[1..], replayed.Select(s => s.Payload));
        Assert.All(replayed, s => Assert.Equal((Room, From, SignalKinds.Candidate), (s.RoomId, s.FromUserId, s.Kind)));
        Assert.Equal(Signal(1, payloads[0], SignalKinds.Offer), buffer.After(Room, 0)[0]);
        Assert.Empty(buffer.After(Room, 4));
    }

    [Fact]
    public void APayloadThatIsNotValidText_IsReplayedUnchanged()
    {
        var buffer = NewBuffer();
        // A lone surrogate: JSON can carry it ("\ud800"), UTF-8 cannot.
        var odd = "a\ud800b";

        Add(buffer, Signal(1, odd));

        Assert.Equal(odd, Assert.Single(buffer.After(Room, 0)).Payload);
    }

    [Fact]
    public void KeepsTheLastMaxCountSignals_AndSaysWhichItDropped()
    {
        var buffer = NewBuffer();
        var dropped = new List<long>();
        for (var seq = 1; seq <= ReplayBuffer.MaxCount + 3; seq++)
        {
            dropped.AddRange(Add(buffer, Signal(seq, $"candidate:{seq}")));
        }

        Assert.Equal([1L, 2L, 3L], dropped);
        Assert.Equal(ReplayBuffer.MaxCount, buffer.Count);
        Assert.False(buffer.Contains(3));
        Assert.True(buffer.Contains(4));
        Assert.Equal(Enumerable.Range(4, ReplayBuffer.MaxCount).Select(i => (long)i), buffer.After(Room, 0).Select(s => s.Seq));
        Assert.Equal("candidate:4", buffer.After(Room, 0)[0].Payload);
    }

    [Fact]
    public void KeepsAtMostMaxBytesOfPayload_ButAlwaysTheNewestSignal()
    {
        var buffer = NewBuffer();
        var quarter = new string('x', ReplayBuffer.MaxBytes / 4);
        for (var seq = 1; seq <= 4; seq++)
        {
            Assert.Empty(Add(buffer, Signal(seq, quarter)));
        }

        // One byte more than the budget: the oldest goes.
        Assert.Equal([1L], Add(buffer, Signal(5, "y")));
        Assert.Equal([2L, 3L, 4L, 5L], buffer.After(Room, 0).Select(s => s.Seq));

        // A single payload above the budget is still kept (alone): the party it is for may need it.
        var huge = new string('z', ReplayBuffer.MaxBytes + 1);
        Assert.Equal([2L, 3L, 4L, 5L], Add(buffer, Signal(6, huge)));
        Assert.Equal(huge, Assert.Single(buffer.After(Room, 0)).Payload);
    }

    [Fact]
    public void NewestFirst_WalksBackwards_AndAfterRelease_NothingIsLeft()
    {
        var buffer = NewBuffer();
        for (var seq = 1; seq <= 3; seq++)
        {
            Add(buffer, Signal(seq, $"p{seq}"));
        }

        Assert.Equal(["p3", "p2", "p1"], buffer.NewestFirst(Room).Select(s => s.Payload));

        buffer.Release();

        Assert.Equal(0, buffer.Count);
        Assert.Empty(buffer.After(Room, 0));
        // Arrays given back are reused by later buffers without leaking what they held.
        var next = NewBuffer();
        Add(next, Signal(9, "q"));
        Assert.Equal("q", Assert.Single(next.After(Room, 0)).Payload);
    }

    [Fact]
    public void TheReplayIsASnapshot_SoTheRoomMayBufferWhileItReplays()
    {
        var buffer = NewBuffer();
        Add(buffer, Signal(1, "a"));
        Add(buffer, Signal(2, "b"));

        var seen = new List<SignalEvent>();
        foreach (var signal in buffer.After(Room, 0))
        {
            seen.Add(signal);
            // Enough to drop every signal being replayed, and to reuse their arrays for other payloads.
            for (var i = 0; i < ReplayBuffer.MaxCount; i++)
            {
                Add(buffer, Signal(100 + (signal.Seq * ReplayBuffer.MaxCount) + i, "z"));
            }
        }

        Assert.Equal([Signal(1, "a"), Signal(2, "b")], seen);
    }

    [Fact]
    public void OverTheSilosBudget_ABufferThatReceivesKeepsOnlyMinBytes_UntilTheSiloIsBackUnder()
    {
        var budget = new ReplayBudget(4 * ReplayBuffer.MinBytes);
        var kib = new string('k', 1024);
        var busy = NewBuffer(budget);
        var other = NewBuffer(budget);

        // Under the budget, a buffer keeps more than MinBytes: 3 × MinBytes in one room's buffer.
        var seq = 0;
        for (var i = 0; i < 3 * ReplayBuffer.MinBytes / 1024; i++)
        {
            Assert.Empty(Add(busy, Signal(++seq, kib)));
        }

        Assert.Equal(3 * ReplayBuffer.MinBytes, budget.Bytes);

        // Another room's buffer takes the silo over its budget: from then on, the buffer that receives keeps MinBytes.
        var dropped = new List<long>();
        for (var i = 0; i < 2 * ReplayBuffer.MinBytes / 1024; i++)
        {
            dropped.AddRange(Add(other, Signal(++seq, kib)));
        }

        // Each signal past the budget dropped the oldest of the buffer it went to, and the silo stays at its budget.
        Assert.Equal(ReplayBuffer.MinBytes / 1024, other.Count);
        Assert.Equal(ReplayBuffer.MinBytes / 1024, dropped.Count);
        Assert.Equal(4 * ReplayBuffer.MinBytes, budget.Bytes);

        // The busy buffer's next signal trims it too, and the silo is back under its budget.
        Assert.Equal(3 * ReplayBuffer.MinBytes / 1024 - (ReplayBuffer.MinBytes / 1024) + 1, Add(busy, Signal(++seq, kib)).Count);
        Assert.Equal(ReplayBuffer.MinBytes / 1024, busy.Count);
        Assert.Equal(2 * ReplayBuffer.MinBytes, budget.Bytes);
        Assert.False(budget.Exceeded);

        // Under the budget again, buffers grow past MinBytes again.
        Assert.Empty(Add(busy, Signal(++seq, kib)));
        Assert.Equal((ReplayBuffer.MinBytes / 1024) + 1, busy.Count);

        // What a room gives back is given back to the silo's count.
        busy.Release();
        other.Release();
        Assert.Equal(0, budget.Bytes);
    }
}
