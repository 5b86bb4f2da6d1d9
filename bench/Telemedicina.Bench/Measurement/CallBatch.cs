namespace Telemedicina.Bench.Measurement;

/// <summary>
/// One S3 batch of call requests: POST /api/v1/calls → CallRequested on the doctor's connection (setup), the 201
/// answer (HTTP), and how many were requested, notified and failed. Safe to record from many calls at once.
/// </summary>
internal sealed class CallBatch
{
    private long _requested;
    private long _notified;
    private long _errors;

    /// <summary>From the request to CallRequested on the doctor's connection.</summary>
    public LatencyRecorder Setup { get; } = new();

    /// <summary>From the request to its 201 answer.</summary>
    public LatencyRecorder Http { get; } = new();

    public long Requested => Interlocked.Read(ref _requested);

    public long Notified => Interlocked.Read(ref _notified);

    public long Errors => Interlocked.Read(ref _errors);

    public void RecordAnswer(long sent, long answered)
    {
        Interlocked.Increment(ref _requested);
        Http.RecordTicks(sent, answered);
    }

    public void RecordNotification(long sent, long notified)
    {
        Interlocked.Increment(ref _notified);
        Setup.RecordTicks(sent, notified);
    }

    /// <summary>A request that failed (retried unmeasured).</summary>
    public void RecordFailure() => Interlocked.Increment(ref _errors);
}
