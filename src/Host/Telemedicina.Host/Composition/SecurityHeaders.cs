namespace Telemedicina.Host.Composition;

/// <summary>Security headers on every response, and the serving node for operators.</summary>
internal static class SecurityHeaders
{
    // The Orleans dashboard ships inline scripts; it is admin-only and still cannot be framed.
    private const string DashboardContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'";

    // The app needs camera, microphone and screen capture for itself only; no framing, no foreign
    // origins except the CDN its bundles come from when it was built for one (Web:AssetsBaseUrl).
    public static string ContentSecurityPolicy(string? assetsOrigin)
    {
        var assets = assetsOrigin is null ? "" : " " + assetsOrigin;
        return $"default-src 'self'; script-src 'self'{assets}; style-src 'self' 'unsafe-inline'{assets}; img-src 'self' data: blob:{assets}; media-src 'self' blob:; " +
            $"connect-src 'self' ws: wss:; font-src 'self' data:{assets}; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    }

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, string nodeName, string? assetsOrigin)
    {
        var contentSecurityPolicy = ContentSecurityPolicy(assetsOrigin);
        return app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["X-Frame-Options"] = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=(self), geolocation=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Content-Security-Policy"] = context.Request.Path.StartsWithSegments("/ops", StringComparison.Ordinal)
                ? DashboardContentSecurityPolicy
                : contentSecurityPolicy;
            headers["X-Silo"] = nodeName;
            return next(context);
        });
    }
}
