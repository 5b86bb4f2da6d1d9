using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Telemedicina.BuildingBlocks.Http;

/// <summary>RFC 9457 problem responses with stable, documented type URIs.</summary>
public static class Problems
{
    private const string TypeBase = "https://telemedicina.local/problems/";

    public static ProblemHttpResult NotFound(string detail = "O recurso não existe ou você não tem acesso a ele.") =>
        Make(StatusCodes.Status404NotFound, "not-found", "Não encontrado", detail);

    public static ProblemHttpResult Conflict(string detail, IDictionary<string, object?>? extensions = null) =>
        Make(StatusCodes.Status409Conflict, "conflict", "Conflito", detail, extensions);

    public static ProblemHttpResult Unprocessable(string detail, IDictionary<string, object?>? extensions = null) =>
        Make(StatusCodes.Status422UnprocessableEntity, "unprocessable", "Operação não permitida", detail, extensions);

    public static ProblemHttpResult Forbidden(string detail = "Você não tem permissão para esta operação.") =>
        Make(StatusCodes.Status403Forbidden, "forbidden", "Proibido", detail);

    public static ProblemHttpResult Unauthorized(string detail) =>
        Make(StatusCodes.Status401Unauthorized, "unauthorized", "Não autorizado", detail);

    public static ProblemHttpResult TooManyRequests(string detail) =>
        Make(StatusCodes.Status429TooManyRequests, "too-many-requests", "Muitas tentativas", detail);

    public static ProblemHttpResult Locked(string detail) =>
        Make(StatusCodes.Status423Locked, "locked", "Conta bloqueada", detail);

    public static ProblemHttpResult BadRequest(string detail) =>
        Make(StatusCodes.Status400BadRequest, "bad-request", "Requisição inválida", detail);

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "Um ou mais campos são inválidos.", title: "Dados inválidos", type: TypeBase + "validation");

    public static ProblemHttpResult Make(int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + type, extensions: extensions);
}
