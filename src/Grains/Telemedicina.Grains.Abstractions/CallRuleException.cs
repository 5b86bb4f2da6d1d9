namespace Telemedicina.Grains.Abstractions;

/// <summary>Why a call operation was refused; mapped to HTTP status codes and hub errors.</summary>
public enum CallError
{
    /// <summary>No such call for this caller (also used for callers who are not a party: no existence leak).</summary>
    NotFound = 0,

    /// <summary>The caller is a party but may not do this (e.g. a patient accepting).</summary>
    Forbidden = 1,

    /// <summary>The call is not in a state that allows this.</summary>
    Conflict = 2,

    /// <summary>The request itself is invalid.</summary>
    Invalid = 3,

    /// <summary>Too many of these in a short time (calls to one appointment); the caller may try again later.</summary>
    TooMany = 4,
}

/// <summary>A refused call operation. The message is safe to show to the caller.</summary>
[GenerateSerializer, Alias("Telemedicina.CallRuleException")]
public sealed class CallRuleException : Exception
{
    public CallRuleException()
    {
    }

    public CallRuleException(string message)
        : base(message)
    {
    }

    public CallRuleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CallRuleException(CallError error, string message)
        : base(message)
    {
        Error = error;
    }

    [Id(0)]
    public CallError Error { get; private set; }
}
