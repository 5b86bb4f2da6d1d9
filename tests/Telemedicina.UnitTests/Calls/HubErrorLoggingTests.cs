using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Telemedicina.Calls.Hub;

namespace Telemedicina.UnitTests.Calls;

/// <summary>
/// The hub's error log: a refusal (HubException) is the client's answer and is not logged; any other exception out
/// of a hub method is logged at Error with the method's name, and both reach SignalR unchanged.
/// </summary>
public sealed class HubErrorLoggingTests
{
    [Fact]
    public async Task ARefusal_IsNotLogged_AndReachesSignalRUnchanged()
    {
        var logger = new CapturingLogger();
        var refusal = new HubException("Destinatário inválido.");

        var thrown = await Assert.ThrowsAsync<HubException>(() => new HubErrorLogging(logger).InvokeMethodAsync(Invocation(), _ => throw refusal).AsTask());

        Assert.Same(refusal, thrown);
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public async Task AnyOtherFailure_IsLoggedAtErrorWithTheMethodAndTheException_AndReachesSignalRUnchanged()
    {
        var logger = new CapturingLogger();
        var bug = new InvalidOperationException("a bug");

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => new HubErrorLogging(logger).InvokeMethodAsync(Invocation(), _ => throw bug).AsTask());

        Assert.Same(bug, thrown);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Same(bug, entry.Exception);
        Assert.Contains(nameof(ConsultationHub.Signal), entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASuccessfulInvocation_ReturnsItsResult_AndLogsNothing()
    {
        var logger = new CapturingLogger();

        var result = await new HubErrorLogging(logger).InvokeMethodAsync(Invocation(), _ => ValueTask.FromResult<object?>("pong"));

        Assert.Equal("pong", result);
        Assert.Empty(logger.Entries);
    }

    private static HubInvocationContext Invocation() =>
        new(new Caller(), new ServiceCollection().BuildServiceProvider(), null!, typeof(ConsultationHub).GetMethod(nameof(ConsultationHub.Signal))!, []);

    private sealed class Caller : HubCallerContext
    {
        public override string ConnectionId => "c1";

        public override string? UserIdentifier => null;

        public override ClaimsPrincipal? User => null;

        public override IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override CancellationToken ConnectionAborted => CancellationToken.None;

        public override void Abort()
        {
        }
    }

    private sealed class CapturingLogger : ILogger<HubErrorLogging>
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception), exception));
    }
}
