using System.Text;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

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

    /// <summary>
    /// The title of a problem in the UI's language: the framework titles its own problems (status code pages, 413, 415)
    /// in English ("Unauthorized", "Not Found"), while the API's are Portuguese, so one status read two ways.
    /// </summary>
    public static string? PortugueseTitle(int status, string? title)
    {
        if (title is not null && title != ReasonPhrases.GetReasonPhrase(status) && title != FrameworkTitle500 && title != FrameworkValidationTitle)
        {
            return title;
        }

        return status switch
        {
            StatusCodes.Status400BadRequest => title == FrameworkValidationTitle ? "Dados inválidos" : "Requisição inválida",
            StatusCodes.Status401Unauthorized => "Não autorizado",
            StatusCodes.Status403Forbidden => "Proibido",
            StatusCodes.Status404NotFound => "Não encontrado",
            StatusCodes.Status405MethodNotAllowed => "Método não permitido",
            StatusCodes.Status409Conflict => "Conflito",
            StatusCodes.Status413PayloadTooLarge => "Corpo grande demais",
            StatusCodes.Status415UnsupportedMediaType => "Tipo de conteúdo não suportado",
            StatusCodes.Status422UnprocessableEntity => "Operação não permitida",
            StatusCodes.Status429TooManyRequests => "Muitas tentativas",
            StatusCodes.Status503ServiceUnavailable => "Serviço temporariamente indisponível",
            >= 500 => "Erro interno",
            _ => "Erro",
        };
    }

    private const string FrameworkTitle500 = "An error occurred while processing your request.";
    private const string FrameworkValidationTitle = "One or more validation errors occurred.";

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

/// <summary>
/// A body in a charset .NET cannot decode (<c>application/json; charset=ebcdic</c>) made the JSON reader
/// throw an InvalidOperationException, answered with a 500; it is a 415 before any endpoint runs.
/// </summary>
internal static class KnownCharsets
{
    public static IApplicationBuilder UseKnownCharsets(this IApplicationBuilder app) => app.Use((context, next) =>
        MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) && type.Charset.HasValue && !IsKnown(type.Charset.Value!)
            ? RefuseCharsetAsync(context)
            : next(context)); // not awaited: see DrainingGate (a hub connection's request lasts as long as the connection)

    private static Task RefuseCharsetAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = StatusCodes.Status415UnsupportedMediaType, Detail = "Codificação de caracteres não suportada: envie UTF-8." },
        }).AsTask();
    }

    private static bool IsKnown(string charset)
    {
        try
        {
            return Encoding.GetEncoding(charset.Trim('"')) is not null;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>
/// The NUL character (U+0000) is valid in JSON and in a URL (%00) but not in a PostgreSQL text value: it reached the
/// database, which refused it, and every such request logged the failed command with a stack trace. It is refused at
/// the door instead: in the path or query string by this middleware, in a JSON body by <see cref="NoNulStrings"/>.
/// </summary>
internal static class NulCharacters
{
    public const string Detail = "O texto enviado não pode conter o caractere nulo (U+0000).";

    public static IApplicationBuilder UseNoNulCharacters(this IApplicationBuilder app) => app.Use((context, next) =>
        context.Request.Path.Value?.Contains('\0', StringComparison.Ordinal) == true || InQuery(context.Request)
            ? RefuseAsync(context)
            : next(context)); // not awaited: see DrainingGate

    // The path is decoded; the query string is not, so its values are decoded only when it may hold one.
    private static bool InQuery(HttpRequest request) =>
        request.QueryString.Value?.Contains("%00", StringComparison.Ordinal) == true
        && request.Query.Any(p => p.Key.Contains('\0', StringComparison.Ordinal) || p.Value.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true));

    private static Task RefuseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = StatusCodes.Status400BadRequest, Detail = Detail },
        }).AsTask();
    }
}

/// <summary>Reads JSON strings of request bodies, refusing one that holds a NUL character (see <see cref="NulCharacters"/>).</summary>
internal sealed class NoNulStrings : System.Text.Json.Serialization.JsonConverter<string>
{
    public override string? Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        var value = reader.GetString();
        return value is not null && value.Contains('\0', StringComparison.Ordinal) ? throw new System.Text.Json.JsonException(NulCharacters.Detail) : value;
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, string value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value);
}
