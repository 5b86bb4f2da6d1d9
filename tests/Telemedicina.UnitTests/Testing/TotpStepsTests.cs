using Telemedicina.Testing;

namespace Telemedicina.UnitTests.Testing;

/// <summary>
/// The test helper that makes the demo admin's TOTP codes: the server takes each 30 s step of an account once, and
/// every test cluster has its own database, so steps are reserved per database. Reserved per process instead, all the
/// tests running at once shared one login every 30 s, and one waited past its 5-minute 2FA challenge (a CI run).
/// </summary>
public sealed class TotpStepsTests
{
    private const string Secret = TelemedicinaApi.DemoAdminTotpSecret;

    [Fact]
    public async Task TwoLoginsOfADatabaseFitInAStep_TheThirdWaits_AndOtherDatabasesDoNotWait()
    {
        var ct = TestContext.Current.CancellationToken;

        // A step boundary inside an attempt lets the third code through legitimately; try again in the next step.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var step = CurrentStep();
            var scope = Guid.NewGuid().ToString("N");
            var first = await TelemedicinaApi.NextTotpAsync(Secret, scope, ct);
            var second = await TelemedicinaApi.NextTotpAsync(Secret, scope, ct);

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(300));
            var third = TelemedicinaApi.NextTotpAsync(Secret, scope, wait.Token);
            var others = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => TelemedicinaApi.NextTotpAsync(Secret, Guid.NewGuid().ToString("N"), ct)));
            var thirdWaited = await WaitedAsync(third);
            if (CurrentStep() != step)
            {
                continue;
            }

            Assert.NotEqual(first, second);
            Assert.True(thirdWaited, "a third code of one database in one step was not held back");
            Assert.All(others, code => Assert.Equal(first, code)); // each other database starts at the current step
            return;
        }

        Assert.Fail("three attempts in a row straddled a 30 s step boundary");
    }

    private static long CurrentStep() => DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;

    private static async Task<bool> WaitedAsync(Task<string> code)
    {
        try
        {
            await code;
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }
}
