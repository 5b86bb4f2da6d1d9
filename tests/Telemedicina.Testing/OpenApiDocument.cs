using System.Text.Json;

namespace Telemedicina.Testing;

/// <summary>One HTTP operation of the API as the OpenAPI document lists it, e.g. <c>GET /api/v1/calls/{roomId}</c>.</summary>
public sealed record ApiOperation(string Method, string Template)
{
    public override string ToString() => $"{Method} {Template}";
}

/// <summary>
/// The operations of the API read from the OpenAPI document the host serves, so that walks over
/// "every endpoint" (audit, authorization, fuzzing) cover new endpoints without being edited.
/// </summary>
public static class OpenApiDocument
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    /// <summary>Every operation under <c>/api/</c>, methods upper-case.</summary>
    public static async Task<IReadOnlyList<ApiOperation>> ApiOperationsAsync(TelemedicinaApi api, CancellationToken cancellationToken = default)
    {
        using var document = JsonDocument.Parse(await api.Http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), cancellationToken));
        return document.RootElement.GetProperty("paths").EnumerateObject()
            .Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => Methods.Where(m => p.Value.TryGetProperty(m, out _)).Select(m => new ApiOperation(m.ToUpperInvariant(), p.Name)))
            .ToList();
    }
}
