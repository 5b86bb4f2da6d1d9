using Telemedicina.BuildingBlocks.Http;

namespace Telemedicina.Host.Composition;

/// <summary>
/// Once the host is stopping, new hub connections are refused with a 503 (problem+json, Retry-After).
/// SignalR closes this silo's connections when the application starts stopping, and the clients reconnect at once
/// (the web client's first retry has no delay). Until Kestrel unbinds its listener, such a reconnect could land on
/// this silo again: the new connection was never closed, so Kestrel's drain waited for it until the shutdown
/// timeout (about 33 s in the browser's graceful-stop test), and Orleans, which stops after the web host, handed
/// the rooms over only then. A refused attempt is retried elsewhere (the load balancers retry a 503; the client
/// retries on its schedule).
/// </summary>
internal static class DrainingGate
{
    private const string HubsPrefix = "/hubs";

    public static IApplicationBuilder UseDrainingGate(this IApplicationBuilder app)
    {
        var stopping = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;

        // Not async: a hub connection is one request that lasts as long as the connection, and an awaiting
        // middleware would keep its state machine (about 120 bytes) for each of a silo's ~19,500 connections.
        return app.Use((context, next) =>
            stopping.IsCancellationRequested && context.Request.Path.StartsWithSegments(HubsPrefix, StringComparison.Ordinal)
                ? RefuseAsync(context)
                : next(context));
    }

    private static Task RefuseAsync(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "1";
        return Problems.Make(StatusCodes.Status503ServiceUnavailable, "shutting-down", "Servidor reiniciando",
            "Este servidor está sendo desligado; conecte-se de novo em instantes.").ExecuteAsync(context);
    }
}
