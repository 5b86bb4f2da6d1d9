using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace Telemedicina.Calls.Hub;

/// <summary>
/// Logs a hub method's failure only when it is one. SignalR's dispatcher logs every exception out of a hub method at
/// Error with its stack, including the <see cref="HubException"/>s the hub throws on purpose to refuse bad input or
/// to tell a client its room is recovering: a flood of 5,000 bad frames wrote 5,000 stack traces, and a failover
/// 1,384 in three seconds on one silo. That category is silenced in the host's appsettings.json
/// (<c>Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher</c>), and this filter logs every other exception,
/// under its own category, with the method's name.
/// </summary>
internal sealed partial class HubErrorLogging(ILogger<HubErrorLogging> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (Exception e) when (e is not HubException && Logged(e, invocationContext.HubMethodName))
        {
            throw; // Never reached: the filter logs and declines, so the exception goes on with its stack untouched.
        }
    }

    private bool Logged(Exception exception, string method)
    {
        LogFailed(logger, exception, method);
        return false;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Hub method {Method} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method);
}
