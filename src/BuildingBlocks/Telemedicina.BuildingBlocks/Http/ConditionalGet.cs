using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Telemedicina.BuildingBlocks.Http;

/// <summary>
/// Conditional GET (RFC 9110 If-None-Match) for what pages poll: the entity tag is a hash of the JSON the caller would
/// get, so a page that sends back the tag of what it shows gets 304 without a body while nothing changed. Besides the
/// bytes on a phone's network, the endpoint skips the audit record of a read that discloses nothing new: the doctor's
/// agenda, refreshed every 30 s, wrote "read the appointment list" for every patient in it twice a minute all day,
/// which flooded those patients' access reports (and sent every row through the audit chain's one cluster-wide writer).
/// A 200 serializes the list twice (for the tag, then for the body): lists are at most 1,000 appointments, and the
/// endpoint keeps its typed result and OpenAPI description.
/// </summary>
public static class ConditionalGet
{
    /// <summary>
    /// Tags the response with <paramref name="value"/>'s entity tag (and <c>Cache-Control: no-store</c>: personal data
    /// stays out of the browser's disk cache; the page keeps what it shows itself) and says whether the request's
    /// If-None-Match already names it.
    /// </summary>
    public static bool IsUnchanged<T>(HttpContext context, T value)
    {
        ArgumentNullException.ThrowIfNull(context);
        var json = context.RequestServices?.GetService<IOptions<JsonOptions>>()?.Value.SerializerOptions ?? JsonSerializerOptions.Web;
        var tag = EntityTag(JsonSerializer.SerializeToUtf8Bytes(value, json));
        context.Response.Headers.ETag = tag.ToString();
        context.Response.Headers.CacheControl = "no-store";
        return Matches(context.Request.Headers.IfNoneMatch, tag);
    }

    /// <summary>The strong tag of a body: the first 128 bits of its SHA-256, in hex.</summary>
    public static EntityTagHeaderValue EntityTag(ReadOnlySpan<byte> body) =>
        new($"\"{Convert.ToHexStringLower(SHA256.HashData(body)[..16])}\"");

    /// <summary>If-None-Match uses the weak comparison; <c>*</c> matches any current representation.</summary>
    public static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, EntityTagHeaderValue tag) =>
        EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags)
        && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(tag, useStrongComparison: false));
}
