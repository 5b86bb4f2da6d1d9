using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Telemedicina.DeployTests.CloudFormation;

/// <summary>
/// What a template refers to by name - Ref, Fn::GetAtt, ${...} in Fn::Sub, conditions, mappings,
/// DependsOn - checked against what it declares. CloudFormation only finds these at deploy time.
/// </summary>
internal static partial class References
{
    public static readonly IReadOnlySet<string> PseudoParameters = new HashSet<string>(StringComparer.Ordinal)
    {
        "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
        "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
    };

    /// <summary>One message per dangling reference; empty when every name resolves.</summary>
    public static IReadOnlyList<string> Dangling(Template template)
    {
        var errors = new List<string>();
        var resources = template.Resources.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        var refTargets = template.Parameters.Select(p => p.Key).Concat(resources).Concat(PseudoParameters).ToHashSet(StringComparer.Ordinal);
        var conditions = template.Conditions.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var mappings = template.Mappings.Select(m => m.Key).ToHashSet(StringComparer.Ordinal);

        foreach (var (path, node) in Template.Walk(template.Root))
        {
            if (node is not JsonObject o)
            {
                continue;
            }

            if (o.Count == 1 && o["Ref"] is JsonValue r && !refTargets.Contains(r.ToString()))
            {
                errors.Add($"{template.Name} {path}: Ref {r} is not a parameter, resource or pseudo parameter");
            }

            if (o.Count == 1 && o["Fn::GetAtt"] is JsonArray { Count: 2 } getAtt && getAtt[0] is JsonValue target
                && !resources.Contains(target.ToString()))
            {
                errors.Add($"{template.Name} {path}: Fn::GetAtt {target}.{getAtt[1]} names no resource");
            }

            if (o.Count == 1 && o.ContainsKey("Fn::Sub"))
            {
                errors.AddRange(SubErrors(template.Name, path, o["Fn::Sub"], refTargets, resources));
            }

            if (o.Count == 1 && o["Fn::If"] is JsonArray { Count: 3 } fnIf && !conditions.Contains(fnIf[0]?.ToString() ?? ""))
            {
                errors.Add($"{template.Name} {path}: Fn::If uses undeclared condition {fnIf[0]}");
            }

            if (o.Count == 1 && o["Condition"] is JsonValue conditionRef && path.Contains(".Conditions.", StringComparison.Ordinal)
                && !conditions.Contains(conditionRef.ToString()))
            {
                errors.Add($"{template.Name} {path}: Condition {conditionRef} is not declared");
            }

            if (o.Count == 1 && o["Fn::FindInMap"] is JsonArray { Count: >= 3 } findInMap && findInMap[0] is JsonValue map
                && !mappings.Contains(map.ToString()))
            {
                errors.Add($"{template.Name} {path}: Fn::FindInMap uses undeclared mapping {map}");
            }
        }

        foreach (var section in new[] { template.Resources, template.Outputs })
        {
            foreach (var (id, value) in section)
            {
                if (value is JsonObject entry && entry["Condition"] is JsonValue condition && !conditions.Contains(condition.ToString()))
                {
                    errors.Add($"{template.Name} {id}: Condition {condition} is not declared");
                }
            }
        }

        foreach (var (id, value) in template.Resources)
        {
            foreach (var dependency in Template.AsList((value as JsonObject)?["DependsOn"]))
            {
                if (!resources.Contains(dependency?.ToString() ?? ""))
                {
                    errors.Add($"{template.Name} {id}: DependsOn {dependency} names no resource");
                }
            }
        }

        return errors;
    }

    /// <summary>Names used as <c>${Name}</c> or <c>${Resource.Attribute}</c> in a Sub string (not <c>${!Literal}</c>).</summary>
    public static IEnumerable<string> SubVariables(string text) =>
        SubVariable().Matches(text).Select(m => m.Groups["name"].Value).Where(n => !n.StartsWith('!'));

    private static IEnumerable<string> SubErrors(string templateName, string path, JsonNode? sub, HashSet<string> refTargets, HashSet<string> resources)
    {
        string? text;
        var local = new HashSet<string>(StringComparer.Ordinal);
        switch (sub)
        {
            case JsonValue value:
                text = value.ToString();
                break;
            case JsonArray { Count: 2 } list when list[0] is JsonValue first && list[1] is JsonObject variables:
                text = first.ToString();
                local.UnionWith(variables.Select(v => v.Key));
                break;
            default:
                yield return $"{templateName} {path}: Fn::Sub takes a string or [string, {{variables}}]";
                yield break;
        }

        foreach (var name in SubVariables(text))
        {
            if (local.Contains(name) || refTargets.Contains(name))
            {
                continue;
            }

            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && resources.Contains(name[..dot]))
            {
                continue;
            }

            yield return $"{templateName} {path}: ${{{name}}} in Fn::Sub is neither a variable, parameter, resource nor pseudo parameter (write ${{!{name}}} for a literal)";
        }
    }

    [GeneratedRegex(@"\$\{(?<name>[^}]+)\}")]
    private static partial Regex SubVariable();
}
