namespace Telemedicina.Host.Composition;

/// <summary>Security headers on every response, and the serving node for operators.</summary>
internal static class SecurityHeaders
{
    // The app needs camera, microphone and screen capture for itself only; no framing, no foreign origins.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; " +
        "connect-src 'self' ws: wss:; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    // The Orleans dashboard ships inline scripts; it is admin-only and still cannot be framed.
    private const string DashboardContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, string nodeName) =>
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["X-Frame-Options"] = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=(self), geolocation=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Content-Security-Policy"] = context.Request.Path.StartsWithSegments("/ops", StringComparison.Ordinal)
                ? DashboardContentSecurityPolicy
                : ContentSecurityPolicy;
            headers["X-Silo"] = nodeName;
            return next(context);
        });
}
