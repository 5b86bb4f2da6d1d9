using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Calls.Endpoints;

/// <summary>Maps refused call operations to problem responses.</summary>
internal static class CallErrors
{
    public static ProblemHttpResult ToProblem(CallRuleException e) => e.Error switch
    {
        CallError.NotFound => Problems.NotFound("Chamada não encontrada."),
        CallError.Forbidden => Problems.Forbidden(e.Message),
        CallError.Conflict => Problems.Conflict(e.Message),
        CallError.TooMany => Problems.Make(StatusCodes.Status429TooManyRequests, "too-many-calls", "Chamadas demais", e.Message),
        _ => Problems.Make(StatusCodes.Status400BadRequest, "bad-request", "Requisição inválida", e.Message),
    };
}
