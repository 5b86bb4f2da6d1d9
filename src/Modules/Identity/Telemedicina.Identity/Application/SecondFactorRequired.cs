using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Telemedicina.Identity.Application;

/// <summary>
/// Admin endpoints need a session that used the second factor. An admin signed in without one was refused with the
/// generic "Você não tem permissão para esta operação.", which says nothing of what to do; this 403 says it.
/// Every other answer is the framework's.
/// </summary>
internal sealed class SecondFactorRequired(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    // Not async when it passes the request on: the result handler's task is awaited for the whole request, which for a
    // hub WebSocket is the connection's lifetime, and an async frame here would be kept per connection.
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult) =>
        authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailedRequirements is { } failed
            && failed.OfType<ClaimsAuthorizationRequirement>().Any(r => r.ClaimType == TokenService.AuthenticationMethodClaim)
            && !failed.OfType<ClaimsAuthorizationRequirement>().Any(r => r.ClaimType != TokenService.AuthenticationMethodClaim)
            ? RefuseAsync(context)
            : _default.HandleAsync(next, context, policy, authorizeResult);

    private Task RefuseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Type = "https://telemedicina.local/problems/second-factor-required",
                Title = "Verificação em duas etapas necessária",
                Detail = "As funções de administração exigem uma sessão aberta com a verificação em duas etapas. Saia e entre de novo com o código do aplicativo autenticador.",
            },
        }).AsTask();
    }
}
