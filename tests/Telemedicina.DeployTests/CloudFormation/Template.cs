using System.Text.Json.Nodes;

namespace Telemedicina.DeployTests.CloudFormation;

/// <summary>A parsed template (long-form JSON) with the lookups the invariant tests need.</summary>
internal sealed class Template(string name, JsonObject root)
{
    public string Name { get; } = name;

    public JsonObject Root { get; } = root;

    public JsonObject Parameters => Section("Parameters");

    public JsonObject Resources => Section("Resources");

    public JsonObject Conditions => Section("Conditions");

    public JsonObject Mappings => Section("Mappings");

    public JsonObject Outputs => Section("Outputs");

    public IEnumerable<(string Id, JsonObject Resource)> ResourcesOfType(string type) =>
        Resources.Where(r => r.Value is JsonObject o && TypeOf(o) == type).Select(r => (r.Key, (JsonObject)r.Value!));

    public (string Id, JsonObject Resource) Single(string type)
    {
        var found = ResourcesOfType(type).ToList();
        Assert.True(found.Count == 1, $"{Name}: expected one {type}, found {found.Count}");
        return found[0];
    }

    public static string? TypeOf(JsonObject resource) => resource["Type"]?.GetValue<string>();

    public static JsonObject PropertiesOf(JsonObject resource) => resource["Properties"] as JsonObject ?? [];

    /// <summary>
    /// The value a property takes with the default parameters: a literal as is, a <c>Ref</c> to a
    /// parameter as the parameter's default. Anything else (a function) is returned as null.
    /// </summary>
    public string? Literal(JsonNode? node)
    {
        switch (node)
        {
            case JsonValue value:
                return value.ToString();
            case JsonObject { Count: 1 } o when o["Ref"] is JsonValue refValue
                && Parameters[refValue.ToString()] is JsonObject parameter:
                return parameter["Default"]?.ToString();
            default:
                return null;
        }
    }

    /// <summary>Every node of the template, depth first, with its path (for messages).</summary>
    public static IEnumerable<(string Path, JsonNode Node)> Walk(JsonNode? node, string path = "$")
    {
        if (node is null)
        {
            yield break;
        }

        yield return (path, node);
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    foreach (var item in Walk(child, $"{path}.{key}"))
                    {
                        yield return item;
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var item in Walk(a[i], $"{path}[{i}]"))
                    {
                        yield return item;
                    }
                }

                break;
        }
    }

    /// <summary>Key/value attributes such as TargetGroupAttributes or LoadBalancerAttributes.</summary>
    public static Dictionary<string, JsonNode?> KeyValues(JsonNode? list) =>
        (list as JsonArray ?? []).OfType<JsonObject>()
            .ToDictionary(kv => kv["Key"]!.ToString(), kv => kv["Value"], StringComparer.Ordinal);

    /// <summary>A node or a one-element array of it, as a list of strings (IAM Action/Resource).</summary>
    public static IReadOnlyList<JsonNode?> AsList(JsonNode? node) => node switch
    {
        null => [],
        JsonArray a => a.ToList(),
        _ => [node],
    };

    private JsonObject Section(string name) => Root[name] as JsonObject ?? [];
}
