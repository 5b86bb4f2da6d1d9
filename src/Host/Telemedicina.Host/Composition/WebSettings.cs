namespace Telemedicina.Host.Composition;

/// <summary>Configuration section <c>Web</c>: where the browser loads the UI's bundles from.</summary>
public sealed class WebSettings
{
    public const string Section = "Web";

    /// <summary>
    /// The CDN base URL the UI was built with (<c>TELEMEDICINA_ASSETS_BASE</c> of the Vite build, e.g.
    /// <c>https://cdn.example.org/</c>); its origin is allowed for scripts, styles, images and fonts in
    /// the Content-Security-Policy. Empty (default): the bundles come from this host.
    /// </summary>
    public string? AssetsBaseUrl { get; set; }

    /// <summary>The origin (scheme://host[:port]) of <see cref="AssetsBaseUrl"/>, or null when unset.</summary>
    public string? AssetsOrigin() =>
        string.IsNullOrWhiteSpace(AssetsBaseUrl) ? null
        : Uri.TryCreate(AssetsBaseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.Query.Length == 0
            ? uri.GetLeftPart(UriPartial.Authority)
            : throw new InvalidOperationException($"Web:AssetsBaseUrl '{AssetsBaseUrl}' is not an absolute http(s) URL.");
}
