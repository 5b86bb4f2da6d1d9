using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Host.Composition;

/// <summary>
/// Lists in the OpenAPI document the problem answers an operation gets from the pipeline rather than from its handler,
/// read from the endpoint's own metadata so that a new endpoint is described without being edited:
/// <list type="bullet">
/// <item>400 (validation problem) when it takes a body or a query or header parameter, all validated;</item>
/// <item>401 when it requires a signed-in caller, 403 when it requires a role;</item>
/// <item>404 when its path names a resource (a malformed id does not match the route; anyone not party to it gets 404);</item>
/// <item>413 and 415 when it takes a body, 429 when it has a rate limit, 503 when the database or the cluster is away.</item>
/// </list>
/// What only a handler decides (409, 422, 423, a 403 or 404 of its own) is declared on the endpoint with
/// <c>ProducesProblem</c>. A status the endpoint already declares is left as it is.
/// </summary>
internal sealed class OpenApiErrorResponses : IOpenApiOperationTransformer
{
    private const string Problem = nameof(ProblemDetails);
    private const string ValidationProblem = nameof(HttpValidationProblemDetails);
    private static readonly HashSet<string> RolePolicies = [Policies.Patient, Policies.Doctor, Policies.Admin];

    /// <summary>Endpoint metadata of an operation that answers without the database or the cluster (liveness): no 503.</summary>
    public static readonly object NoDependencies = new NoDependenciesMarker();

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var parameters = operation.Parameters ?? [];
        var body = operation.RequestBody is not null;
        var authorize = metadata.OfType<IAuthorizeData>().ToList();
        var signedIn = authorize.Count > 0 && !metadata.OfType<IAllowAnonymous>().Any();

        var statuses = new List<(int Status, string Schema)>();
        if (body || parameters.Any(p => p.In is ParameterLocation.Query or ParameterLocation.Header))
        {
            statuses.Add((StatusCodes.Status400BadRequest, ValidationProblem));
        }

        if (signedIn)
        {
            statuses.Add((StatusCodes.Status401Unauthorized, Problem));
        }

        if (signedIn && authorize.Any(a => a.Roles is not null || (a.Policy is { } policy && RolePolicies.Contains(policy))))
        {
            statuses.Add((StatusCodes.Status403Forbidden, Problem));
        }

        if (parameters.Any(p => p.In is ParameterLocation.Path))
        {
            statuses.Add((StatusCodes.Status404NotFound, Problem));
        }

        if (body)
        {
            statuses.Add((StatusCodes.Status413PayloadTooLarge, Problem));
            statuses.Add((StatusCodes.Status415UnsupportedMediaType, Problem));
        }

        if (metadata.OfType<EnableRateLimitingAttribute>().Any())
        {
            statuses.Add((StatusCodes.Status429TooManyRequests, Problem));
        }

        if (!metadata.OfType<NoDependenciesMarker>().Any())
        {
            statuses.Add((StatusCodes.Status503ServiceUnavailable, Problem));
        }

        operation.Responses ??= [];
        await DescribeAlternativesAsync(operation, context, cancellationToken);
        foreach (var (status, schema) in statuses)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (operation.Responses.ContainsKey(key))
            {
                continue;
            }

            await EnsureSchemaAsync(context, schema, cancellationToken);
            operation.Responses[key] = new OpenApiResponse
            {
                Description = ReasonPhrases.GetReasonPhrase(status),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(schema, context.Document) },
                },
            };
        }
    }

    /// <summary>
    /// An endpoint that answers one status with either of two bodies (a login: the tokens, or "second factor required")
    /// declares both, and the document kept only the last: the response lists them as <c>oneOf</c>.
    /// </summary>
    private static async Task DescribeAlternativesAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var alternatives = context.Description.ActionDescriptor.EndpointMetadata.OfType<IProducesResponseTypeMetadata>()
            .Where(p => p.Type is not null && p.Type != typeof(void))
            .GroupBy(p => p.StatusCode)
            .Select(g => (Status: g.Key, Types: g.Select(p => p.Type!).Distinct().ToList()))
            .Where(g => g.Types.Count > 1);
        foreach (var (status, types) in alternatives)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (operation.Responses?.TryGetValue(key, out var response) != true || response!.Content?.TryGetValue("application/json", out var media) != true)
            {
                continue;
            }

            var oneOf = new List<IOpenApiSchema>();
            foreach (var type in types)
            {
                oneOf.Add(context.Document?.Components?.Schemas?.ContainsKey(type.Name) == true
                    ? new OpenApiSchemaReference(type.Name, context.Document)
                    : await context.GetOrCreateSchemaAsync(type, null, cancellationToken));
            }

            media!.Schema = new OpenApiSchema { OneOf = oneOf };
        }
    }

    private static async Task EnsureSchemaAsync(OpenApiOperationTransformerContext context, string name, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("The OpenAPI transformer context has no document.");
        if (document.Components?.Schemas?.ContainsKey(name) == true)
        {
            return;
        }

        var type = name == Problem ? typeof(ProblemDetails) : typeof(HttpValidationProblemDetails);
        document.AddComponent(name, await context.GetOrCreateSchemaAsync(type, null, cancellationToken));
    }

    private sealed class NoDependenciesMarker;
}
