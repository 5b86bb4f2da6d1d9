using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Playwright;

namespace Telemedicina.BrowserTests;

/// <summary>Debian's Chromium driven by Playwright, headless, with a fake camera and microphone.</summary>
internal static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: ./test.sh installs Debian's chromium package.");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });
        return (playwright, browser);
    }

    private static readonly ConditionalWeakTable<IBrowserContext, ConcurrentQueue<string>> ConsoleLines = [];

    /// <summary>A fresh context (its own session storage) allowed to use camera and microphone; its console is kept for diagnostics.</summary>
    public static async Task<IBrowserContext> ContextAsync(IBrowser browser)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { Permissions = ["camera", "microphone"] });
        var lines = ConsoleLines.GetOrCreateValue(context);
        context.Console += (_, m) =>
        {
            lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {m.Type}: {m.Text}");
            while (lines.Count > 50 && lines.TryDequeue(out var _))
            {
            }
        };
        return context;
    }

    /// <summary>The last console lines of the page's context (for a failure message).</summary>
    public static string Console(IPage page) =>
        ConsoleLines.TryGetValue(page.Context, out var lines) && !lines.IsEmpty ? string.Join("\n", lines) : "(nothing logged)";
}

/// <summary>Chromium launched for one test and closed with it; each page has a context of its own (its own session).</summary>
internal sealed class BrowserSession(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
{
    public static async Task<BrowserSession> StartAsync()
    {
        var (playwright, browser) = await Browser.LaunchAsync();
        return new BrowserSession(playwright, browser);
    }

    public async Task<IPage> NewPageAsync() => await (await Browser.ContextAsync(browser)).NewPageAsync();

    public async ValueTask DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
