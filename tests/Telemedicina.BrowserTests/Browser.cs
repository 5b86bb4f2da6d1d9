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

    /// <summary>A fresh context (its own session storage) allowed to use camera and microphone.</summary>
    public static Task<IBrowserContext> ContextAsync(IBrowser browser) =>
        browser.NewContextAsync(new BrowserNewContextOptions { Permissions = ["camera", "microphone"] });
}
