using System.Runtime.ExceptionServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Telemedicina.Host.Ops;

namespace Telemedicina.IntegrationTests.Host;

/// <summary>
/// The dashboard's endpoints share JSON options that <c>Results.Json</c> completes on first use; when two first
/// requests race on them, the loser is run again instead of answering 500. Anything else still fails.
/// </summary>
public sealed class DashboardInputTests
{
    [Fact]
    public async Task ARequestThatLostTheRaceOnTheSharedOptions_IsRunOnceMore()
    {
        var calls = 0;
        var result = await DashboardInput.RefuseMalformedSiloAddressAsync(Context("/ops/dashboard/version"), _ =>
        {
            calls++;
            if (calls == 1)
            {
                // Thrown with its own stack, as it comes up from the dashboard's handler.
                ExceptionDispatchInfo.Throw(ReadOnlyOptionsError());
            }

            return ValueTask.FromResult<object?>("ok");
        });

        Assert.Equal("ok", result);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task AnyOtherError_IsNotRetried()
    {
        var calls = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await DashboardInput.RefuseMalformedSiloAddressAsync(
            Context("/ops/dashboard/version"), _ =>
            {
                calls++;
                throw new InvalidOperationException("something else");
            }));
        Assert.Equal(1, calls);
        Assert.False(DashboardInput.IsFirstUseRace(new InvalidOperationException("This JsonSerializerOptions instance is read-only")));
    }

    // The runtime's own error: a type resolver set on options that have already been used.
    private static InvalidOperationException ReadOnlyOptionsError()
    {
        var options = new JsonSerializerOptions();
        options.MakeReadOnly(populateMissingResolver: true);
        try
        {
            options.TypeInfoResolver = null;
        }
        catch (InvalidOperationException e)
        {
            return e;
        }

        throw new InvalidOperationException("The options took a resolver after use.");
    }

    private static DefaultEndpointFilterInvocationContext Context(string path)
    {
        var http = new DefaultHttpContext();
        http.Request.Path = path;
        return new DefaultEndpointFilterInvocationContext(http);
    }
}
