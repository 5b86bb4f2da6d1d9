namespace Telemedicina.Grains.Abstractions;

/// <summary>Status of one consultation call (a room). Terminal: rejected, cancelled, missed, ended.</summary>
public enum CallStatus
{
    Ringing = 0,
    Accepted = 1,
    Rejected = 2,
    Cancelled = 3,
    Missed = 4,
    Ended = 5,
}

/// <summary>Which side of the consultation a participant is.</summary>
public enum ParticipantRole
{
    Patient = 0,
    Doctor = 1,
}

/// <summary>Kinds of WebRTC signaling messages the room relays.</summary>
public static class SignalKinds
{
    public const string Offer = "offer";
    public const string Answer = "answer";
    public const string Candidate = "candidate";
    public const string Restart = "restart";
    public const string Bye = "bye";

    public static bool IsKnown(string? kind) => kind is Offer or Answer or Candidate or Restart or Bye;

    /// <summary>The one string of a known kind (each signal's kind arrives as a string of its own); others as given.</summary>
    public static string Canonical(string kind) => kind switch
    {
        Offer => Offer,
        Answer => Answer,
        Candidate => Candidate,
        Restart => Restart,
        Bye => Bye,
        _ => kind,
    };
}
