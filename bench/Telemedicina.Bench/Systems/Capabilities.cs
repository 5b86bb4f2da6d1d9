namespace Telemedicina.Bench.Systems;

/// <summary>S5: a system that can lose one node mid-traffic (kill -9) and whose clients come back on a survivor.</summary>
internal interface IFailoverSystem
{
    /// <summary>Gets the nodes ready (ours: a third silo joins) and says what will be killed.</summary>
    Task<string> PrepareFailoverAsync(int rooms, CancellationToken ct);

    /// <summary>Whether the party's connection lives on the node that will be killed.</summary>
    bool IsOnVictim(Party party);

    int VictimPid { get; }

    /// <summary>SIGKILL of the victim node: no goodbye to anyone.</summary>
    void KillVictim();

    /// <summary>
    /// Replaces the party's (dead) connection with one to a surviving node, as the product's client does
    /// (ours: and resumes the room after the last sequence number handled); <paramref name="index"/> spreads them.
    /// <paramref name="mark"/> records when a phase of it happened (a name and a Stopwatch timestamp).
    /// </summary>
    Task ReconnectAsync(Party party, int index, Action<string, long> mark, CancellationToken ct);
}

/// <summary>
/// S2: a single server process that takes idle, authenticated (where the system has authentication) hub connections.
/// It is a process of its own that holds none of the S1 rooms (ours: a silo that joins the cluster; limit: a second
/// node), so the rooms' connections do not count against its open-file limit.
/// </summary>
internal interface IConnectionTarget
{
    /// <summary>Starts the target process (once) and waits until it is ready.</summary>
    Task PrepareConnectionTargetAsync(CancellationToken ct);

    /// <summary>After S2: stops a target nothing else uses (limit's second node).</summary>
    Task ReleaseConnectionTargetAsync();

    int TargetPid { get; }

    string TargetDescription { get; }

    /// <summary>
    /// How clients reach the target: hub URLs with their access token (null where the system has no authentication),
    /// taken in turn; <see cref="IdleConnection.UserPlaceholder"/> in a URL stands for a fresh user id per connection.
    /// </summary>
    IReadOnlyList<IdleConnection> IdleConnections();
}

/// <summary>One way to open an idle connection (see <see cref="IConnectionTarget.IdleConnections"/>).</summary>
internal sealed record IdleConnection(string HubUrl, string? AccessToken)
{
    public const string UserPlaceholder = "{user}";
}
