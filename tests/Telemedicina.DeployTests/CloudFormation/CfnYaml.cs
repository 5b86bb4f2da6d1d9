using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Telemedicina.DeployTests.CloudFormation;

/// <summary>
/// Reads a CloudFormation YAML template into the JSON form CloudFormation itself works on: every
/// short-form tag (<c>!Ref X</c>, <c>!Sub '...'</c>, <c>!GetAtt A.B</c>, ...) becomes its long form
/// (<c>{"Ref": "X"}</c>, <c>{"Fn::Sub": "..."}</c>, <c>{"Fn::GetAtt": ["A", "B"]}</c>). Scalars stay
/// strings, as CloudFormation passes them. An unknown tag is an error, like in CloudFormation.
/// </summary>
internal static class CfnYaml
{
    /// <summary>Short-form tags and the intrinsic function each one stands for.</summary>
    public static readonly IReadOnlyDictionary<string, string> Tags = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["!Ref"] = "Ref",
        ["!Condition"] = "Condition",
        ["!Sub"] = "Fn::Sub",
        ["!GetAtt"] = "Fn::GetAtt",
        ["!If"] = "Fn::If",
        ["!Equals"] = "Fn::Equals",
        ["!Not"] = "Fn::Not",
        ["!And"] = "Fn::And",
        ["!Or"] = "Fn::Or",
        ["!Select"] = "Fn::Select",
        ["!GetAZs"] = "Fn::GetAZs",
        ["!Join"] = "Fn::Join",
        ["!Split"] = "Fn::Split",
        ["!ImportValue"] = "Fn::ImportValue",
        ["!FindInMap"] = "Fn::FindInMap",
        ["!Base64"] = "Fn::Base64",
        ["!Cidr"] = "Fn::Cidr",
        ["!Transform"] = "Fn::Transform",
        ["!Length"] = "Fn::Length",
        ["!ToJsonString"] = "Fn::ToJsonString",
    };

    public static Template LoadFile(string path) => Parse(File.ReadAllText(path), Path.GetFileName(path));

    public static Template Parse(string yaml, string name = "inline")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"{name}: not valid YAML at {e.Start}: {e.Message}", e);
        }

        if (stream.Documents.Count != 1)
        {
            throw new FormatException($"{name}: expected one YAML document, found {stream.Documents.Count}");
        }

        var root = Convert(stream.Documents[0].RootNode, name) as JsonObject
            ?? throw new FormatException($"{name}: the template is not a mapping");
        return new Template(name, root);
    }

    private static JsonNode? Convert(YamlNode node, string name)
    {
        var tag = node.Tag.IsEmpty ? null : node.Tag.Value;
        JsonNode? value = node switch
        {
            YamlScalarNode scalar => ScalarValue(scalar, tag),
            YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(c => Convert(c, name)).ToArray()),
            YamlMappingNode mapping => Mapping(mapping, name),
            _ => throw new FormatException($"{name}: unsupported YAML node at {node.Start}"),
        };

        if (tag is null || tag.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal))
        {
            return value;
        }

        if (!Tags.TryGetValue(tag, out var function))
        {
            throw new FormatException($"{name}: unknown tag {tag} at {node.Start}");
        }

        // !GetAtt Resource.Attribute (scalar form) = Fn::GetAtt: [Resource, Attribute]
        if (function == "Fn::GetAtt" && node is YamlScalarNode getAtt)
        {
            var text = getAtt.Value ?? "";
            var dot = text.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || dot == text.Length - 1)
            {
                throw new FormatException($"{name}: !GetAtt {text} at {node.Start} is not Resource.Attribute");
            }

            value = new JsonArray(JsonValue.Create(text[..dot]), JsonValue.Create(text[(dot + 1)..]));
        }

        return new JsonObject { [function] = value };
    }

    private static JsonValue? ScalarValue(YamlScalarNode scalar, string? tag)
    {
        // A plain "null"/"~"/empty scalar without a tag is YAML null; everything else a string.
        if (tag is null && scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null")
        {
            return null;
        }

        return JsonValue.Create(scalar.Value ?? "");
    }

    private static JsonObject Mapping(YamlMappingNode mapping, string name)
    {
        var result = new JsonObject();
        foreach (var (key, child) in mapping.Children)
        {
            var keyText = (key as YamlScalarNode)?.Value ?? throw new FormatException($"{name}: non-scalar key at {key.Start}");
            if (result.ContainsKey(keyText))
            {
                throw new FormatException($"{name}: duplicate key {keyText} at {key.Start}");
            }

            result[keyText] = Convert(child, name);
        }

        return result;
    }
}
