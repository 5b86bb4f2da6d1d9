using System.Collections.Concurrent;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Host.Composition;

/// <summary>
/// Faults on purpose, for the cluster tests of failures that real crashes produce only now and then. Off unless
/// configured, and refused in Production.
/// <c>Faults:LoseRoomAnswersContaining</c>: the first time a room relays a signal or chat line whose payload
/// contains this text, the answer to the sending silo is replaced by a timeout, as when the room's silo stops
/// between relaying a message and answering: the sender cannot tell whether it was relayed.
/// </summary>
internal static class FaultInjection
{
    public const string LoseRoomAnswersKey = "Faults:LoseRoomAnswersContaining";

    public static void AddFaultInjection(this ISiloBuilder silo, IConfiguration configuration, IHostEnvironment environment)
    {
        var marker = configuration[LoseRoomAnswersKey];
        if (string.IsNullOrEmpty(marker))
        {
            return;
        }

        if (environment.IsProduction())
        {
            throw new InvalidOperationException($"{LoseRoomAnswersKey} injects faults; it is refused in Production.");
        }

        var lost = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        silo.AddOutgoingGrainCallFilter(async context =>
        {
            await context.Invoke();
            if (context.InterfaceName.Contains(nameof(IConsultationRoomGrain), StringComparison.Ordinal)
                && context.Request.GetArgumentCount() == 1
                && context.Request.GetArgument(0) is RoomMessage message
                && message.Payload.Contains(marker, StringComparison.Ordinal)
                && lost.TryAdd(message.Payload, true))
            {
                throw new TimeoutException("Fault injected: the room's answer was lost.");
            }
        });
    }
}
