using Microsoft.Extensions.Time.Testing;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.UnitTests.Grains;

public sealed class StreamReordererTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly List<string> _emitted = [];

    [Fact]
    public void Accept_WhenItemsOvertakeEachOther_EmitsThemInSenderOrder()
    {
        var reorderer = new StreamReorderer<string>(_clock);
        var stream = Guid.NewGuid();
        reorderer.Accept(stream, 2, "b", _emitted.Add);
        reorderer.Accept(stream, 3, "c", _emitted.Add);
        Assert.Empty(_emitted);
        Assert.True(reorderer.HasGaps);

        reorderer.Accept(stream, 1, "a", _emitted.Add);
        Assert.Equal(["a", "b", "c"], _emitted);
        Assert.False(reorderer.HasGaps);
    }

    [Fact]
    public void Accept_KeepsStreamsIndependent()
    {
        var reorderer = new StreamReorderer<string>(_clock);
        var one = Guid.NewGuid();
        var two = Guid.NewGuid();
        reorderer.Accept(one, 2, "one-2", _emitted.Add);
        reorderer.Accept(two, 1, "two-1", _emitted.Add);
        reorderer.Accept(one, 1, "one-1", _emitted.Add);
        Assert.Equal(["two-1", "one-1", "one-2"], _emitted);
    }

    [Fact]
    public void Sweep_WhenGapOutlivesTimeout_SkipsItAndDeliversLateItemAnyway()
    {
        var reorderer = new StreamReorderer<string>(_clock);
        var stream = Guid.NewGuid();
        reorderer.Accept(stream, 1, "a", _emitted.Add);
        reorderer.Accept(stream, 3, "c", _emitted.Add);

        _clock.Advance(StreamReorderer<string>.GapTimeout - TimeSpan.FromMilliseconds(1));
        reorderer.Sweep(_emitted.Add);
        Assert.Equal(["a"], _emitted);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        reorderer.Sweep(_emitted.Add);
        Assert.Equal(["a", "c"], _emitted);

        reorderer.Accept(stream, 2, "b-late", _emitted.Add);
        reorderer.Accept(stream, 4, "d", _emitted.Add);
        Assert.Equal(["a", "c", "b-late", "d"], _emitted);
    }

    [Fact]
    public void Sweep_ForgetsIdleStreams()
    {
        var reorderer = new StreamReorderer<string>(_clock);
        reorderer.Accept(Guid.NewGuid(), 1, "a", _emitted.Add);
        Assert.Equal(1, reorderer.StreamCount);
        _clock.Advance(StreamReorderer<string>.IdleTimeout);
        reorderer.Sweep(_emitted.Add);
        Assert.Equal(0, reorderer.StreamCount);
    }
}
