using System.Net;

namespace Telemedicina.Testing;

/// <summary>An unexpected HTTP status from the API, with the body for the failure message.</summary>
public sealed class ApiException : Exception
{
    public ApiException()
    {
    }

    public ApiException(string message)
        : base(message)
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ApiException(HttpStatusCode status, string body, string request)
        : base($"{request} → {(int)status} {status}: {body}")
    {
        Status = status;
        Body = body;
    }

    public HttpStatusCode Status { get; }

    public string Body { get; } = "";
}
