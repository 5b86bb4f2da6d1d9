using Microsoft.Playwright;

namespace Telemedicina.BrowserTests;

/// <summary>
/// A list's 30 s refresh on a page whose clock the test installed (<c>page.Clock.InstallAsync</c>): jumped past instead
/// of waited for, and checked to leave the rows alone when the server answers 304.
/// </summary>
internal static class ListRefresh
{
    /// <summary>The next answer to a request whose URL holds <paramref name="urlPart"/>.</summary>
    public static Task<IResponse> NextAsync(IPage page, string urlPart) =>
        page.WaitForResponseAsync(r => r.Url.Contains(urlPart, StringComparison.Ordinal), new() { Timeout = 15_000 });

    /// <summary>
    /// With the focus on <paramref name="focusTestId"/> inside <paramref name="row"/> (a keyboard user), one refresh that
    /// the server answers 304 leaves the same element (marked before) and the focus where they were.
    /// </summary>
    public static async Task AssertAnUnchangedRefreshKeepsAsync(IPage page, ILocator row, string focusTestId, string urlPart)
    {
        await row.GetByTestId(focusTestId).FocusAsync();
        await row.EvaluateAsync("item => item.dataset.probe = 'drawn-once'");
        var refreshed = NextAsync(page, urlPart);
        await page.Clock.FastForwardAsync("00:31");
        Assert.Equal(304, (await refreshed).Status);
        await page.WaitForTimeoutAsync(300);
        Assert.Equal("drawn-once", await row.GetAttributeAsync("data-probe"));
        Assert.Equal(focusTestId, await page.EvaluateAsync<string?>("() => document.activeElement?.dataset.testid ?? null"));
    }
}
