using Microsoft.AspNetCore.Http;
using Telemedicina.BuildingBlocks.Http;

namespace Telemedicina.UnitTests.Http;

/// <summary>The entity tag of a polled list and the If-None-Match rules (RFC 9110: weak comparison, lists, <c>*</c>).</summary>
public sealed class ConditionalGetTests
{
    private sealed record Item(Guid Id, string Status);

    private static readonly Item[] List = [new(Guid.Parse("0199a2b4-1111-7000-8000-000000000001"), "scheduled")];

    [Fact]
    public void TheTagFollowsTheContent_AndIsSetWithNoStore()
    {
        var first = Respond(List, ifNoneMatch: null);
        Assert.False(first.Unchanged);
        Assert.Matches("^\"[0-9a-f]{32}\"$", first.Tag);
        Assert.Equal("no-store", first.CacheControl);

        Assert.Equal(first.Tag, Respond(List.ToArray(), ifNoneMatch: null).Tag);
        Assert.NotEqual(first.Tag, Respond<Item[]>([List[0] with { Status = "cancelled" }], ifNoneMatch: null).Tag);
        Assert.NotEqual(first.Tag, Respond(Array.Empty<Item>(), ifNoneMatch: null).Tag);
    }

    [Fact]
    public void IfNoneMatch_NamingTheTag_InAnyForm_IsUnchanged()
    {
        var tag = Respond(List, ifNoneMatch: null).Tag;
        Assert.True(Respond(List, tag).Unchanged);
        Assert.True(Respond(List, $"W/{tag}").Unchanged);
        Assert.True(Respond(List, $"\"elsewhere\", {tag}").Unchanged);
        Assert.True(Respond(List, "*").Unchanged);
    }

    [Theory]
    [InlineData("\"0123456789abcdef0123456789abcdef\"")]
    [InlineData("not a tag")]
    [InlineData("")]
    public void AnyOtherIfNoneMatch_GetsTheList(string ifNoneMatch) => Assert.False(Respond(List, ifNoneMatch).Unchanged);

    [Fact]
    public void TheTagOfAnotherList_DoesNotMatch()
    {
        var theirs = Respond(Array.Empty<Item>(), ifNoneMatch: null).Tag;
        Assert.False(Respond(List, theirs).Unchanged);
    }

    private static (bool Unchanged, string Tag, string CacheControl) Respond<T>(T value, string? ifNoneMatch)
    {
        var context = new DefaultHttpContext();
        if (ifNoneMatch is not null)
        {
            context.Request.Headers.IfNoneMatch = ifNoneMatch;
        }

        var unchanged = ConditionalGet.IsUnchanged(context, value);
        return (unchanged, context.Response.Headers.ETag.ToString(), context.Response.Headers.CacheControl.ToString());
    }
}
