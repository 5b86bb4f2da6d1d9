using System.Text.Json;
using Microsoft.Playwright;
using Telemedicina.Testing;

namespace Telemedicina.BrowserTests;

/// <summary>Media statistics as the product's call session reports them (window.telemedicina.session.stats()).</summary>
internal sealed record MediaStats(
    string? ConnectionState,
    string? IceConnectionState,
    long FramesDecoded,
    long FrameWidth,
    long FrameHeight,
    long AudioSamplesReceived,
    string? LocalCandidateType,
    string? RemoteCandidateType,
    long IceRestarts);

/// <summary>The outgoing video track of a call: the camera, or a screen when <c>DisplaySurface</c> is set.</summary>
internal sealed record OutgoingVideo(string Id, string Label, string? DisplaySurface, string ReadyState);

/// <summary>Drives the product's own UI through its documented test hooks.</summary>
internal static class CallPage
{
    public static async Task LoginAsync(IPage page, Uri baseUrl, string email, string password, string expectedPage, string query = "")
    {
        await page.GotoAsync(new Uri(baseUrl, $"/{query}#/login").ToString());
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
        await page.Locator($"[data-page='{expectedPage}']").WaitForAsync(new() { Timeout = 20_000 });
    }

    /// <summary>
    /// Signs the demo admin in with the password and the next TOTP code; the admin lands on Administração. One such login
    /// at a time in this process: the server accepts a time step only if it is later than the last one the account used,
    /// so two tests running at once that took consecutive codes and sent them in the other order had the earlier one
    /// refused as a replay.
    /// </summary>
    public static async Task LoginDemoAdminAsync(IPage page, Uri baseUrl, TelemedicinaApi api, TestUser admin)
    {
        await page.GotoAsync(new Uri(baseUrl, "/#/login").ToString());
        await page.GetByTestId("email").FillAsync(admin.Email);
        await page.GetByTestId("password").FillAsync(admin.Password);
        await page.GetByTestId("login-submit").ClickAsync();
        await page.GetByTestId("totp").WaitForAsync();
        await AdminSecondFactor.WaitAsync(Xunit.TestContext.Current.CancellationToken);
        try
        {
            await page.GetByTestId("totp").FillAsync(await api.NextDemoAdminTotpAsync(Xunit.TestContext.Current.CancellationToken));
            await page.GetByTestId("login-submit").ClickAsync();
            await page.Locator("[data-page='admin']").WaitForAsync(new() { Timeout = 20_000 });
        }
        finally
        {
            AdminSecondFactor.Release();
        }
    }

    private static readonly SemaphoreSlim AdminSecondFactor = new(1, 1);

    /// <summary>
    /// Passes the room's device check ("Verifique sua câmera e microfone"): waits until the camera
    /// preview plays (unless joining without a camera), presses "Entrar na sala" and waits for the call area.
    /// </summary>
    public static async Task PassDeviceCheckAsync(IPage page, bool withCamera = true)
    {
        if (withCamera)
        {
            await page.WaitForFunctionAsync(
                "() => document.querySelector(\"[data-testid='device-preview']\")?.videoWidth > 0",
                null,
                new() { Timeout = 20_000 });
        }

        // The room has loaded the call (the other party's presence is shown): nothing above the button moves any more.
        await page.Locator("[data-testid='counterpart-presence']:not([data-presence=''])").WaitForAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("join-room").ClickAsync();
        try
        {
            await page.GetByTestId("device-check").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        }
        catch (TimeoutException e)
        {
            // Seen twice in CI, both on the doctor's page right after accepting (relay test, browser crash test), before the
            // wait above: say what the page looked like.
            var state = await page.EvaluateAsync<string>(
                """
                () => JSON.stringify({
                  hash: location.hash,
                  page: document.querySelector("[data-page]")?.getAttribute("data-page"),
                  checks: document.querySelectorAll("[data-testid='device-check']").length,
                  joinDisabled: document.querySelector("[data-testid='join-room']")?.disabled,
                  status: document.querySelector("[data-testid='call-status']")?.textContent,
                  hub: window.telemedicina?.hubState?.(),
                  text: document.body.innerText.slice(0, 800),
                })
                """);
            throw new TimeoutException($"The device check stayed after \"Entrar na sala\" was clicked. Page: {state}\nConsole:\n{Browser.Console(page)}", e);
        }
    }

    /// <summary>The track the call currently sends as video (camera or screen), from the page's peer connection.</summary>
    public static async Task<OutgoingVideo?> OutgoingVideoAsync(IPage page)
    {
        var json = await page.EvaluateAsync<JsonElement?>(
            """
            () => {
              const t = window.telemedicina?.session?.pc.getSenders().find((s) => s.track?.kind === "video")?.track;
              return t ? { id: t.id, label: t.label, displaySurface: t.getSettings().displaySurface ?? null, readyState: t.readyState } : null;
            }
            """);
        return json is { ValueKind: JsonValueKind.Object } value ? value.Deserialize<OutgoingVideo>(Telemedicina.Testing.ApiJson.Options) : null;
    }

    public static async Task<MediaStats?> StatsAsync(IPage page)
    {
        var json = await page.EvaluateAsync<JsonElement?>(
            "async () => window.telemedicina && window.telemedicina.session ? await window.telemedicina.session.stats() : null");
        return json is { ValueKind: JsonValueKind.Object } value ? value.Deserialize<MediaStats>(Telemedicina.Testing.ApiJson.Options) : null;
    }

    /// <summary>Waits until the peer connection is connected and decoding video, then returns the stats.</summary>
    public static async Task<MediaStats> WaitForMediaAsync(IPage page, TimeSpan timeout, long minFrames = 1)
    {
        var deadline = Deadline.In(timeout);
        MediaStats? last = null;
        while (!deadline.Passed)
        {
            last = await StatsAsync(page);
            if (last is { ConnectionState: "connected" } && last.FramesDecoded >= minFrames)
            {
                return last;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Media did not flow within {timeout}; last stats: {last}");
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until true; errors while the cluster recovers count as "not yet". On timeout
    /// the failure names the condition (<paramref name="what"/>, read then, so it can tell what was last seen) and the
    /// last error.
    /// </summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? what = null)
    {
        var deadline = Deadline.In(timeout);
        Exception? lastError = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or Telemedicina.Testing.ApiException or PlaywrightException
                || (e is TaskCanceledException && e.InnerException is TimeoutException))
            {
                // The cluster is recovering (a request that timed out included: it may have reached the stopping
                // silo through a round-robin load balancer); ask again.
                lastError = e;
            }

            Assert.False(deadline.Passed, $"{what?.Invoke() ?? "condition"} not met within {timeout.TotalSeconds:0} s"
                + (lastError is null ? "" : $"; last error: {lastError.GetType().Name}: {lastError.Message}"));
            await Task.Delay(250);
        }
    }
}
