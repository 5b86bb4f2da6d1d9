using System.Text.Json.Nodes;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests.Containers;

/// <summary>
/// docker-compose.yml as Compose reads it: anchors and aliases resolved (YamlDotNet), merge keys
/// (<c>&lt;&lt;: *anchor</c>) applied, <c>x-</c> extension fields left aside.
/// </summary>
internal sealed class ComposeFile(JsonObject root)
{
    public JsonObject Root { get; } = root;

    public JsonObject Services => (JsonObject)Root["services"]!;

    public static ComposeFile Parse(string yaml, string name = "docker-compose.yml") =>
        new((JsonObject)Merge(CfnYaml.Parse(yaml, name).Root)!);

    public JsonObject Service(string name) =>
        Services[name] as JsonObject ?? throw new InvalidOperationException($"compose: no service {name}");

    /// <summary>A service's environment, from the mapping or the <c>- KEY=VALUE</c> list form.</summary>
    public static IReadOnlyDictionary<string, string> Environment(JsonObject service)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (service["environment"])
        {
            case JsonObject map:
                foreach (var (key, value) in map)
                {
                    result[key] = value?.ToString() ?? "";
                }

                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    var text = item!.ToString();
                    var equals = text.IndexOf('=', StringComparison.Ordinal);
                    result[equals < 0 ? text : text[..equals]] = equals < 0 ? "" : text[(equals + 1)..];
                }

                break;
        }

        return result;
    }

    /// <summary>The <c>ports</c> of a service as (host port, container port) pairs.</summary>
    public static IReadOnlyList<(int Host, int Container)> Ports(JsonObject service) =>
        (service["ports"] as JsonArray ?? []).Select(p =>
        {
            // [IP:]HOST:CONTAINER, where IP may be an ${VAR:-default} expression with a colon inside.
            var text = p!.ToString();
            var parts = text.Split(':');
            return (int.Parse(parts[^2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[^1].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();

    /// <summary>The services built from (or running) the given image.</summary>
    public IEnumerable<(string Name, JsonObject Service)> ServicesWithImage(string image) =>
        Services.Where(s => s.Value?["image"]?.ToString() == image).Select(s => (s.Key, (JsonObject)s.Value!));

    private static JsonNode? Merge(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject map:
                var result = new JsonObject();
                foreach (var (key, value) in map)
                {
                    if (key != "<<")
                    {
                        result[key] = Merge(value?.DeepClone());
                    }
                }

                // Explicit keys win over merged ones; earlier merge sources win over later ones.
                var sources = map["<<"] switch
                {
                    JsonObject one => [one],
                    JsonArray many => many.OfType<JsonObject>().ToList(),
                    null => [],
                    _ => throw new FormatException("compose: << must merge a mapping"),
                };
                foreach (var source in sources)
                {
                    foreach (var (key, value) in (JsonObject)Merge(source)!)
                    {
                        if (!result.ContainsKey(key))
                        {
                            result[key] = value?.DeepClone();
                        }
                    }
                }

                return result;
            case JsonArray list:
                return new JsonArray([.. list.Select(i => Merge(i?.DeepClone()))]);
            default:
                return node?.DeepClone();
        }
    }
}
