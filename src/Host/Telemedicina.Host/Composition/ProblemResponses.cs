using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Telemedicina.Host.Composition;

/// <summary>
/// Errors are problem+json with type, title, status and detail whatever the client accepts
/// (CONTRACT.md). The framework's writer writes only when the Accept header admits JSON, so a
/// request accepting text/html got a plain "Status Code: 401; Unauthorized" from the status code
/// pages and the exception handler; this writer is registered after it and takes every other case.
/// </summary>
internal sealed class ProblemJsonFallbackWriter(IOptions<ProblemDetailsOptions> options, IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var response = context.HttpContext.Response;
        var problem = context.ProblemDetails;
        problem.Status ??= response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        problem.Type ??= "about:blank";
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(response.WriteAsJsonAsync(problem, json.Value.SerializerOptions, "application/problem+json", context.HttpContext.RequestAborted));
    }

    /// <summary>The detail of problems the framework makes (status code pages, binding failures), which carry none.</summary>
    public static string DefaultDetail(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "A requisição é inválida: verifique o corpo, os parâmetros e o tipo de conteúdo.",
        StatusCodes.Status401Unauthorized => "É preciso entrar para acessar este recurso.",
        StatusCodes.Status403Forbidden => "Você não tem permissão para esta operação.",
        StatusCodes.Status404NotFound => "O recurso não existe ou você não tem acesso a ele.",
        StatusCodes.Status405MethodNotAllowed => "Este recurso não aceita este método.",
        StatusCodes.Status413PayloadTooLarge => "O corpo da requisição é grande demais.",
        StatusCodes.Status415UnsupportedMediaType => "Tipo de conteúdo não suportado: envie application/json.",
        StatusCodes.Status429TooManyRequests => "Muitas requisições em pouco tempo. Aguarde um minuto e tente de novo.",
        >= 500 => "Ocorreu um erro inesperado. Tente novamente em instantes.",
        _ => "A requisição não pôde ser atendida.",
    };
}
