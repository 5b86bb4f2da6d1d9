using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Telemedicina.Grains.Abstractions;

namespace Telemedicina.Host.Composition;

/// <summary>
/// Faults on purpose, for the cluster tests of failures that real stops and crashes produce only now and then. Off
/// unless configured, and refused in Production.
/// <list type="bullet">
/// <item><c>Faults:LoseRoomAnswersContaining</c>: the first time a room relays a signal or chat line whose payload
/// contains this text, the answer to the sending silo is replaced by a timeout, as when the room's silo stops
/// between relaying a message and answering: the sender cannot tell whether it was relayed.</item>
/// <item><c>Faults:LoseDeliveriesContaining</c>: a room's first activation (sequence numbers below 10⁹) drops the
/// delivery of a signal whose payload contains this text while it acknowledges the signal to its sender, as when the
/// room's silo dies between the two: the signal is then nowhere but in the sender's silo.</item>
/// <item><c>Faults:DelayPresenceReads</c>: every read of a user's presence (<c>GetPresence</c>) waits this long
/// before it is sent, as when presence grains did not answer for 30 s after a graceful stop of another silo.</item>
/// <item><c>Faults:StallPresence</c>: every call a room or an appointment makes to a user's presence grain
/// (<see cref="RoomToPresenceCalls"/>) waits this long inside the presence grain before it runs, as when presence
/// grains of a survivor did not answer for over a minute after another silo was killed.</item>
/// <item><c>Faults:StallRoomReads</c>: every read a presence grain makes of an appointment's room and of the room's
/// waiting call (<see cref="PresenceToRoomReads"/>) waits this long inside the appointment or room grain before it
/// runs, as a room still recovering after its silo was lost may not answer.</item>
/// <item><c>Faults:RefuseRestores</c>: the first this many <c>Restore</c> calls this silo makes to rooms fail with
/// <see cref="SiloUnavailableException"/> before they are sent, as when a silo re-registers its connections right
/// after another was declared dead and its view of the cluster still routes the room to the dead one.</item>
/// <item><c>Faults:HoldShutdown</c>: a graceful stop waits this long after the silo has told the cluster it is
/// shutting down and deactivated its grains, before it leaves (declared dead), as when it has many rooms to hand
/// over: the window in which the other silos must already do without it.</item>
/// <item><c>Faults:StallCalendars</c>: every call to a doctor's calendar (<see cref="IDoctorCalendarGrain"/>) waits this
/// long inside the grain before it runs, as an activation whose silo is dying may not answer: bookings and
/// cancellations must go on without it.</item>
/// <item><c>Faults:DelayHubConnect</c>: every hub connection waits this long after its authentication and handshake
/// before the hub's <c>OnConnectedAsync</c> runs, as on a busy silo: the window in which a session can end unseen.</item>
/// </list>
/// </summary>
internal static class FaultInjection
{
    public const string LoseRoomAnswersKey = "Faults:LoseRoomAnswersContaining";
    public const string LoseDeliveriesKey = "Faults:LoseDeliveriesContaining";
    public const string DelayPresenceReadsKey = "Faults:DelayPresenceReads";
    public const string HoldShutdownKey = "Faults:HoldShutdown";
    public const string RefuseRestoresKey = "Faults:RefuseRestores";
    public const string StallPresenceKey = "Faults:StallPresence";
    public const string StallRoomReadsKey = "Faults:StallRoomReads";
    public const string DelayHubConnectKey = "Faults:DelayHubConnect";
    public const string StallCalendarsKey = "Faults:StallCalendars";

    /// <summary>The presence calls of rooms and appointments: the hub's own (Connect, Disconnect) are not stalled.</summary>
    internal static readonly HashSet<string> RoomToPresenceCalls = new(StringComparer.Ordinal)
    {
        nameof(IUserPresenceGrain.SetInCall), nameof(IUserPresenceGrain.ClaimCall), nameof(IUserPresenceGrain.LeaveCall), nameof(IUserPresenceGrain.AddWaiting), nameof(IUserPresenceGrain.RemoveWaiting),
        nameof(IUserPresenceGrain.GetConnectionSilos), nameof(IUserPresenceGrain.GetHomeSilo),
    };

    /// <summary>The reads of a doctor's presence grain rebuilding its waiting list from the rooms.</summary>
    internal static readonly HashSet<string> PresenceToRoomReads = new(StringComparer.Ordinal)
    {
        nameof(IAppointmentCallsGrain.GetActiveRoom), nameof(IConsultationRoomGrain.GetWaitingCall),
    };

    public static void AddFaultInjection(this ISiloBuilder silo, IConfiguration configuration, IHostEnvironment environment)
    {
        var marker = configuration[LoseRoomAnswersKey];
        var deliveryMarker = configuration[LoseDeliveriesKey];
        var presenceDelay = configuration.GetValue<TimeSpan?>(DelayPresenceReadsKey);
        var hold = configuration.GetValue<TimeSpan?>(HoldShutdownKey);
        var refuseRestores = configuration.GetValue<int?>(RefuseRestoresKey);
        var presenceStall = configuration.GetValue<TimeSpan?>(StallPresenceKey);
        var roomReadsStall = configuration.GetValue<TimeSpan?>(StallRoomReadsKey);
        var hubConnectDelay = configuration.GetValue<TimeSpan?>(DelayHubConnectKey);
        var calendarStall = configuration.GetValue<TimeSpan?>(StallCalendarsKey);
        if (string.IsNullOrEmpty(marker) && string.IsNullOrEmpty(deliveryMarker) && presenceDelay is null && hold is null && refuseRestores is null
            && presenceStall is null && roomReadsStall is null && hubConnectDelay is null && calendarStall is null)
        {
            return;
        }

        if (environment.IsProduction())
        {
            throw new InvalidOperationException(
                $"{LoseRoomAnswersKey}, {LoseDeliveriesKey}, {DelayPresenceReadsKey}, {StallPresenceKey}, {StallRoomReadsKey}, {DelayHubConnectKey}, {StallCalendarsKey}, {HoldShutdownKey} and {RefuseRestoresKey} inject faults; they are refused in Production.");
        }

        if (hubConnectDelay is { } connectDelay)
        {
            // Between a hub connection's authentication and its registration on the silo (a slow handshake).
            silo.Services.Configure<HubOptions>(options => options.AddFilter(new DelayConnect(connectDelay)));
        }

        if (refuseRestores is { } toRefuse)
        {
            var refused = 0;
            silo.AddOutgoingGrainCallFilter(context =>
                context.InterfaceName.Contains(nameof(IConsultationRoomGrain), StringComparison.Ordinal)
                && context.MethodName == nameof(IConsultationRoomGrain.Restore)
                && Interlocked.Increment(ref refused) <= toRefuse
                    ? throw new SiloUnavailableException("Fault injected: the room's silo is unavailable.")
                    : context.Invoke());
        }

        if (!string.IsNullOrEmpty(deliveryMarker))
        {
            silo.Services.AddSingleton<IDeliveryFault>(new LoseDeliveries(deliveryMarker));
        }

        if (hold is { } holdFor)
        {
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new ShutdownHold(holdFor));
        }

        if (!string.IsNullOrEmpty(marker))
        {
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

        if (presenceStall is { } stall)
        {
            silo.StallIncoming(stall, [nameof(IUserPresenceGrain)], RoomToPresenceCalls);
        }

        if (calendarStall is { } stalled)
        {
            silo.StallIncoming(stalled, [nameof(IDoctorCalendarGrain)],
                new(StringComparer.Ordinal) { nameof(IDoctorCalendarGrain.TryHold), nameof(IDoctorCalendarGrain.Settle), nameof(IDoctorCalendarGrain.Forget),
                    nameof(IDoctorCalendarGrain.ScheduleChanged) });
        }

        if (roomReadsStall is { } roomStall)
        {
            silo.StallIncoming(roomStall, [nameof(IConsultationRoomGrain), nameof(IAppointmentCallsGrain)], PresenceToRoomReads);
        }

        if (presenceDelay is { } delay)
        {
            silo.AddOutgoingGrainCallFilter(async context =>
            {
                if (context.InterfaceName.Contains(nameof(IUserPresenceGrain), StringComparison.Ordinal)
                    && context.MethodName == nameof(IUserPresenceGrain.GetPresence))
                {
                    await Task.Delay(delay);
                }

                await context.Invoke();
            });
        }
    }

    // Holds the matching calls inside the called grain for the stall before they run.
    private static void StallIncoming(this ISiloBuilder silo, TimeSpan stall, string[] interfaces, HashSet<string> methods) =>
        silo.AddIncomingGrainCallFilter(async context =>
        {
            if (methods.Contains(context.MethodName) && interfaces.Any(i => context.InterfaceName.Contains(i, StringComparison.Ordinal)))
            {
                await Task.Delay(stall);
            }

            await context.Invoke();
        });

    private sealed class DelayConnect(TimeSpan delay) : IHubFilter
    {
        public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
        {
            await Task.Delay(delay);
            await next(context);
        }
    }

    // Drops in the sender (DeliveryRouter), so deliveries to the room's own silo, which never become a message, are lost too.
    private sealed class LoseDeliveries(string marker) : IDeliveryFault
    {
        public bool Drops(Delivery delivery) =>
            delivery is { Event: SignalEvent { Seq: < 1_000_000_000 } signal } && signal.Payload.Contains(marker, StringComparison.Ordinal);
    }

    // Stops after grain deactivation (ServiceLifecycleStage.GrainDeactivation) and before the stage that declares the
    // silo dead (RuntimeInitialize), so the silo stays "shutting down" for the hold.
    private sealed class ShutdownHold(TimeSpan hold) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(ShutdownHold), ServiceLifecycleStage.ApplicationServices, _ => Task.CompletedTask, HoldAsync);

        private async Task HoldAsync(CancellationToken cancellationToken)
        {
            try
            {
                await Task.Delay(hold, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The stop's deadline passed: stop holding.
            }
        }
    }
}
