using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Calls.Delivery;

/// <summary>
/// Closes the hub connections of accounts whose sessions were ended (an admin lock, an erasure, a reset), on whichever
/// silo holds them: a connection authenticated once and would otherwise keep receiving calls and relaying signals for
/// hours. The client's reconnection then presents its revoked token and is refused. A single session ended (a logout on
/// one device, a stolen refresh token) closes that session's connections only.
/// </summary>
internal sealed partial class EndedSessions(IAccessRevocations revocations, LocalConnections connections, ILogger<EndedSessions> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        revocations.Revoked += Close;
        revocations.SessionsRevoked += CloseSessions;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        revocations.Revoked -= Close;
        revocations.SessionsRevoked -= CloseSessions;
        return Task.CompletedTask;
    }

    private void Close(IReadOnlyCollection<Guid> users)
    {
        var closed = connections.Abort(users);
        if (closed > 0)
        {
            LogClosed(logger, closed, users.Count);
        }
    }

    private void CloseSessions(IReadOnlyCollection<Guid> sessions)
    {
        var closed = connections.AbortSessions(sessions);
        if (closed > 0)
        {
            LogClosedSessions(logger, closed, sessions.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Connections} hub connection(s) of {Accounts} account(s) whose sessions were ended")]
    private static partial void LogClosed(ILogger logger, int connections, int accounts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Connections} hub connection(s) of {Sessions} session(s) that were ended")]
    private static partial void LogClosedSessions(ILogger logger, int connections, int sessions);
}
