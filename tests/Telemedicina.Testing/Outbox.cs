using System.Text.Json;

namespace Telemedicina.Testing;

/// <summary>Reads the e-mails the product wrote to its development outbox (one JSON file per e-mail).</summary>
public sealed class Outbox(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>The action link of the newest e-mail of <paramref name="kind"/> sent to <paramref name="to"/>.</summary>
    public async Task<Uri> WaitForLinkAsync(string to, string kind, TimeSpan? timeout = null)
    {
        var deadline = Deadline.In(timeout ?? TimeSpan.FromSeconds(10));
        while (!deadline.Passed)
        {
            if (System.IO.Directory.Exists(Directory))
            {
                foreach (var file in System.IO.Directory.GetFiles(Directory, "*.json").OrderDescending(StringComparer.Ordinal))
                {
                    using var document = JsonDocument.Parse(await File.ReadAllTextAsync(file));
                    var root = document.RootElement;
                    if (root.GetProperty("to").GetString() == to && root.GetProperty("kind").GetString() == kind)
                    {
                        return new Uri(root.GetProperty("actionUrl").GetString()!);
                    }
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"No '{kind}' e-mail to {to} in {Directory}.");
    }

    /// <summary>Waits for an e-mail of <paramref name="kind"/> to <paramref name="to"/> (notifications carry no link); returns it.</summary>
    public async Task<JsonElement> WaitForLinkOrMessageAsync(string to, string kind, TimeSpan? timeout = null)
    {
        var deadline = Deadline.In(timeout ?? TimeSpan.FromSeconds(90));
        while (!deadline.Passed)
        {
            if (System.IO.Directory.Exists(Directory))
            {
                foreach (var file in System.IO.Directory.GetFiles(Directory, "*.json"))
                {
                    using var document = JsonDocument.Parse(await File.ReadAllTextAsync(file));
                    if (document.RootElement.GetProperty("to").GetString() == to && document.RootElement.GetProperty("kind").GetString() == kind)
                    {
                        return document.RootElement.Clone();
                    }
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"No '{kind}' e-mail to {to} in {Directory}.");
    }

    /// <summary>The query parameters in a link's fragment (links look like /#/route?a=1&amp;b=2).</summary>
    public static Dictionary<string, string> FragmentQuery(Uri link)
    {
        var fragment = link.Fragment;
        var question = fragment.IndexOf('?', StringComparison.Ordinal);
        return question < 0
            ? []
            : fragment[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair => pair.Split('=', 2))
                .ToDictionary(pair => pair[0], pair => Uri.UnescapeDataString(pair.Length > 1 ? pair[1] : ""), StringComparer.Ordinal);
    }
}
