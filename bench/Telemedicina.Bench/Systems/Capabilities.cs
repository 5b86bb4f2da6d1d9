using Microsoft.AspNetCore.SignalR.Client;

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
    /// </summary>
    Task ReconnectAsync(Party party, int index, CancellationToken ct);
}

/// <summary>S2: a single server process that takes idle, authenticated (where the system has authentication) hub connections.</summary>
internal interface IConnectionTarget
{
    int TargetPid { get; }

    string TargetDescription { get; }

    /// <summary>A new, not yet started connection, as a client would open it (ours: a setup user's token; peer: a fresh user id).</summary>
    HubConnection NewIdleConnection(int index);
}
