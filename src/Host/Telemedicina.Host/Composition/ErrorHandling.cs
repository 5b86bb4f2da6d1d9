using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Telemedicina.Host.Composition;

/// <summary>
/// Turns exceptions into problem+json without leaking internals: malformed requests are 400,
/// an unavailable dependency (database, cluster) is 503, anything else a generic 500.
/// </summary>
internal sealed partial class ErrorHandling(IProblemDetailsService problems, ILogger<ErrorHandling> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var unavailable = Unavailable(exception);
        var (status, type, title, detail) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest } =>
                (StatusCodes.Status400BadRequest, "bad-request", "Requisição inválida", "O corpo ou os parâmetros da requisição são inválidos."),
            // 413, 415 (a JSON body without a Content-Type): answered as the framework answers them elsewhere, with the
            // status's own type and title, not as a "bad-request" with another status.
            BadHttpRequestException bad => (bad.StatusCode, null, null, ProblemJsonFallbackWriter.DefaultDetail(bad.StatusCode)),
            // PostgreSQL data exceptions (class 22: a NUL character, a value out of range) come from the input, not the server.
            _ when Postgres(exception) is { SqlState: [ '2', '2', .. ] } =>
                (StatusCodes.Status400BadRequest, "bad-request", "Requisição inválida", "Um dos valores enviados não é aceito."),
            // Two requests racing on the same row (two admins unlocking or resetting one account at once): the loser may retry.
            _ when exception is Microsoft.EntityFrameworkCore.DbUpdateConcurrencyException || Postgres(exception) is { SqlState: PostgresErrorCodes.UniqueViolation } =>
                (StatusCodes.Status409Conflict, "conflict", "Conflito", "Outra alteração do mesmo recurso aconteceu ao mesmo tempo. Tente de novo."),
            _ when unavailable is not null =>
                (StatusCodes.Status503ServiceUnavailable, "unavailable", "Serviço temporariamente indisponível", "Tente novamente em instantes."),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested =>
                (499, "cancelled", "Requisição cancelada", "O cliente encerrou a requisição."),
            _ => (StatusCodes.Status500InternalServerError, "internal", "Erro interno", "Ocorreu um erro inesperado. Já fomos avisados."),
        };

        if (status == StatusCodes.Status503ServiceUnavailable && unavailable is not null)
        {
            // Expected while a dependency is away (a silo crashed and is not declared dead yet, the database
            // restarts): a warning naming the cause, without a stack trace. One error with a stack trace per request
            // buried the log in hundreds for one outage (766 in DatabaseOutageTests' 20 s); the readiness check
            // reports the outage itself (/health/ready, logged as an error when probed).
            LogUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, unavailable.GetType().Name + ": " + unavailable.Message);
        }
        else if (status >= 500)
        {
            LogFailure(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        var problem = new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = null,
            ProblemDetails =
            {
                Status = status,
                Type = type is null ? null : "https://telemedicina.local/problems/" + type,
                Title = title,
                Detail = detail,
            },
        };

        // A JSON body whose field has the wrong type ("doctorId": "nope"): the field is named under errors, as the
        // endpoints' own validation names theirs (CONTRACT.md), not left for the client to guess.
        if (exception is BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest, InnerException: System.Text.Json.JsonException { Path: { Length: > 2 } path } }
            && path.StartsWith("$.", StringComparison.Ordinal))
        {
            problem.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [path[2..]] = ["Valor inválido para este campo."] };
        }

        return await problems.TryWriteAsync(problem);
    }

    /// <summary>
    /// A dependency (database, cluster) could not be reached, possibly wrapped: EF Core's execution strategy throws
    /// an <see cref="InvalidOperationException"/> ("likely due to a transient failure") around the NpgsqlException
    /// when PostgreSQL is down, which used to become a 500. The innermost such exception (it names what was
    /// unavailable), or null.
    /// </summary>
    private static Exception? Unavailable(Exception exception)
    {
        Exception? cause = null;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException or TimeoutException or OrleansException or SiloUnavailableException)
            {
                cause = e;
            }
        }

        return cause;
    }

    private static PostgresException? Postgres(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
            {
                return postgres;
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {Method} {Path} answered 503, a dependency being unavailable: {Cause}")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string cause);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Method} {Path} failed")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method, string path);
}
