using System.Text.RegularExpressions;
using Telemedicina.Testing;

namespace Telemedicina.ArchitectureTests;

/// <summary>
/// The access report and the admin's trail read the audit codes in Portuguese (src/Web/src/ui/auditLabels.ts). A code
/// the server records without a label there reads in general terms ("Outro motivo registrado" for a deleted export,
/// seen by an outside probe): every resource type and purpose the server writes has its label.
/// </summary>
public sealed partial class AuditLabelsTests
{
    [Fact]
    public void EveryAuditCodeTheServerRecords_HasAPortugueseLabel()
    {
        var src = Path.Combine(RepoPaths.Root, "src");
        var code = string.Join('\n', Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var labels = File.ReadAllText(Path.Combine(src, "Web", "src", "ui", "auditLabels.ts"));

        var resourceTypes = ResourceTypeArgument().Matches(code).Select(m => m.Groups["type"].Value).ToHashSet(StringComparer.Ordinal);
        var purposes = PurposeArgument().Matches(code)
            .SelectMany(m => QuotedWord().Matches(m.Groups["expr"].Value).Select(q => q.Groups["word"].Value)).ToHashSet(StringComparer.Ordinal);
        var contracts = File.ReadAllText(Path.Combine(src, "Modules", "Audit", "Telemedicina.Audit.Contracts", "IAuditTrail.cs"));
        var actionsClass = contracts.IndexOf("class AuditActions", StringComparison.Ordinal);
        var actions = ActionConstant().Matches(contracts[actionsClass..contracts.IndexOf('}', actionsClass)])
            .Select(m => m.Groups["word"].Value).ToHashSet(StringComparer.Ordinal);

        // The scan finds what it is meant to (a regex that matches nothing would pass every time).
        Assert.Contains("AccountLock", resourceTypes);
        Assert.Contains("retention", purposes);
        Assert.Contains("login", actions);

        var missing = resourceTypes.Where(t => !Labelled(labels, "resources", t)).Select(t => $"resource type {t}")
            .Concat(purposes.Where(p => !Labelled(labels, "purposes", p)).Select(p => $"purpose {p}"))
            .Concat(actions.Where(a => !Labelled(labels, "actions", a)).Select(a => $"action {a}"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "Audit codes without a label in auditLabels.ts: " + string.Join(", ", missing));
    }

    // The key inside the named map: `  AccountLock: "...",` or `  "self-service": "...",`.
    private static bool Labelled(string labels, string map, string key)
    {
        var start = labels.IndexOf($"const {map}: Record<string, string> = {{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"auditLabels.ts has no map named {map}");
        var body = labels[start..labels.IndexOf("};", start, StringComparison.Ordinal)];
        return Regex.IsMatch(body, $@"^\s*(""{Regex.Escape(key)}""|{Regex.Escape(key)}):", RegexOptions.Multiline);
    }

    // new AuditEvent(AuditActions.Read, "UserContact", ... (the action may be on the next line).
    [GeneratedRegex(@"new AuditEvent\(\s*[^,]+,\s*""(?<type>\w+)""")]
    private static partial Regex ResourceTypeArgument();

    // Purpose: "care" and Purpose: userId is null ? "retention" : "erasure".
    [GeneratedRegex(@"Purpose:\s*(?<expr>[^,)]+)")]
    private static partial Regex PurposeArgument();

    [GeneratedRegex(@"""(?<word>[\w-]+)""")]
    private static partial Regex QuotedWord();

    [GeneratedRegex(@"public const string \w+ = ""(?<word>[\w-]+)"";")]
    private static partial Regex ActionConstant();
}
