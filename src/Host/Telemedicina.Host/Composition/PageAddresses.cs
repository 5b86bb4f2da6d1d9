using Microsoft.Net.Http.Headers;

namespace Telemedicina.Host.Composition;

/// <summary>
/// The web app's pages live after the hash (<c>/#/login</c>, <c>/#/consulta/{id}</c>). An address typed or shared
/// without it (<c>/login</c>, <c>/paciente</c>) matched nothing and showed the API's 404 problem+json, raw, to a person.
/// A browser's page request for such an address (GET or HEAD, asking for HTML, no file extension, outside the
/// server's own paths) is sent to the same page after the hash; the web app takes an unknown page home. Everything
/// else keeps its 404: an API client, a missing file, a path under <c>/api</c>, <c>/hubs</c>, <c>/health</c>,
/// <c>/ops</c>, <c>/openapi</c> or <c>/assets</c>. The target is always this origin's root, so it cannot be turned into
/// a redirect to another site.
/// </summary>
internal static class PageAddresses
{
    private static readonly PathString[] ServerPaths = ["/api", "/hubs", "/health", "/ops", "/openapi", "/assets"];

    public static IApplicationBuilder UsePageAddresses(this IApplicationBuilder app) => app.Use((context, next) =>
        IsPageRequest(context) ? RedirectAsync(context) : next(context)); // not awaited: see DrainingGate

    private static bool IsPageRequest(HttpContext context)
    {
        var request = context.Request;
        return context.GetEndpoint() is null
            && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && request.Path.HasValue && request.Path.Value != "/"
            && !Path.HasExtension(request.Path.Value)
            && !ServerPaths.Any(p => request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
            && AcceptsHtml(request);
    }

    private static bool AcceptsHtml(HttpRequest request) =>
        MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
        && accepted.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase) && a.Quality is not 0);

    private static Task RedirectAsync(HttpContext context)
    {
        var request = context.Request;
        // "/login" becomes "/#/login"; the path is re-encoded, so the header stays ASCII and a "//host" path stays in the fragment.
        var page = request.Path.ToUriComponent().TrimStart('/');
        context.Response.Redirect($"{request.PathBase.ToUriComponent()}/#/{page}{request.QueryString.ToUriComponent()}");
        return Task.CompletedTask;
    }
}
