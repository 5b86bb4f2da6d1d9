using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

public sealed partial class ReferenceTests
{
    public static TheoryData<string> Templates => [.. Repo.TemplateFiles];

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenEveryNameIsResolved_HasNoDanglingReference(string file)
    {
        var dangling = References.Dangling(Repo.Template(file));

        Assert.True(dangling.Count == 0, string.Join(Environment.NewLine, dangling));
    }

    [Fact]
    public void Dangling_WhenTemplateRefersToUndeclaredNames_ReportsEachOne()
    {
        const string yaml = """
            Parameters:
              Env: { Type: String }
            Conditions:
              IsProd: !Equals [!Ref Env, prod]
              Both: !And [!Condition IsProd, !Condition Missing]
            Resources:
              Topic:
                Type: AWS::SNS::Topic
                DependsOn: Ghost
                Properties:
                  TopicName: !Sub '${Env}-${Nope}-${AWS::Region}-${!Literal}'
                  DisplayName: !Ref Vpc
                  KmsMasterKeyId: !GetAtt Key.Arn
                  Tags:
                    - Key: a
                      Value: !If [IsStaging, x, y]
                    - Key: b
                      Value: !FindInMap [Nowhere, a, b]
                    - Key: c
                      Value: !Sub ['${X}-${Y}', { X: !Ref Env }]
            """;

        var dangling = References.Dangling(CfnYaml.Parse(yaml, "bad.yaml"));

        string[] expected =
        [
            "Condition Missing is not declared",
            "Fn::FindInMap uses undeclared mapping Nowhere",
            "Fn::GetAtt Key.Arn names no resource",
            "Fn::If uses undeclared condition IsStaging",
            "Ref Vpc is not a parameter",
            "${Nope} in Fn::Sub",
            "${Y} in Fn::Sub",
            "DependsOn Ghost names no resource",
        ];
        Assert.All(expected, e => Assert.Contains(dangling, d => d.Contains(e, StringComparison.Ordinal)));
        Assert.Equal(expected.Length, dangling.Count);
    }

    [Fact]
    public void Dangling_WhenTemplateIsConsistent_ReportsNothing()
    {
        const string yaml = """
            Parameters:
              Env: { Type: String }
            Conditions:
              IsProd: !Equals [!Ref Env, prod]
            Resources:
              Key: { Type: AWS::KMS::Key }
              Topic:
                Type: AWS::SNS::Topic
                Condition: IsProd
                DependsOn: [Key]
                Properties:
                  TopicName: !Sub '${Env}-${Key.Arn}-${AWS::Region}-${!Literal}'
                  KmsMasterKeyId: !If [IsProd, !GetAtt Key.Arn, !Ref 'AWS::NoValue']
            """;

        Assert.Empty(References.Dangling(CfnYaml.Parse(yaml)));
    }

    [Fact]
    public void ImportValues_WhenStacksAreDeployedInOrder_AreAllExportedByAnotherStack()
    {
        var exports = Repo.AllTemplates()
            .SelectMany(t => t.Outputs.Select(o => (Template: t.Name, Name: ExportName(o.Value?["Export"]?["Name"]))))
            .Where(e => e.Name is not null)
            .ToList();
        var imports = Repo.AllTemplates()
            .SelectMany(t => Template.Walk(t.Root)
                .Where(n => n.Node is JsonObject { Count: 1 } o && o.ContainsKey("Fn::ImportValue"))
                .Select(n => (Template: t.Name, Name: ExportName(n.Node["Fn::ImportValue"]))))
            .ToList();

        Assert.NotEmpty(imports);
        Assert.All(imports, i =>
        {
            Assert.NotNull(i.Name);
            var exporter = exports.Where(e => e.Name == i.Name).Select(e => e.Template).ToList();
            Assert.True(exporter.Count == 1, $"{i.Template} imports {i.Name}, exported by {exporter.Count} templates");
            Assert.NotEqual(i.Template, exporter[0]);
        });
    }

    [Fact]
    public void Exports_WhenNamed_CarryProjectAndEnvironmentSoEnvironmentsCoexist()
    {
        var names = Repo.AllTemplates().SelectMany(t => t.Outputs.Select(o => o.Value?["Export"]?["Name"])).Where(n => n is not null).ToList();

        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.StartsWith("${ProjectName}-${EnvironmentName}-", ExportName(n)));
        Assert.Equal(names.Count, names.Select(ExportName).Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>The export's name as written: the Sub template (names differ only by it) or a literal.</summary>
    private static string? ExportName(JsonNode? node) => node switch
    {
        JsonValue v => v.ToString(),
        JsonObject o when o["Fn::Sub"] is JsonValue sub => sub.ToString(),
        _ => null,
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenItEmbedsShellScripts_UsesNoBracedShellVariableThatSubWouldSwallow(string file)
    {
        // In a Fn::Sub, ${name} is CloudFormation's; a shell variable must be $name or ${!name}.
        // Dangling() already catches unknown names; this catches shell names that collide with a
        // parameter by accident, e.g. ${EnvironmentName} meant for bash.
        var template = Repo.Template(file);
        var subStrings = Template.Walk(template.Root)
            .Where(n => n.Node is JsonObject { Count: 1 } o && o.ContainsKey("Fn::Sub"))
            .Select(n => n.Node["Fn::Sub"] is JsonArray a ? a[0]!.ToString() : n.Node["Fn::Sub"]!.ToString())
            .Where(s => s.StartsWith("#!", StringComparison.Ordinal));

        foreach (var script in subStrings)
        {
            Assert.DoesNotMatch(BashParameterExpansion(), script);
        }
    }

    [GeneratedRegex(@"\$\{[A-Za-z_][A-Za-z0-9_]*(:-|:=|#|%|/|\[)")]
    private static partial Regex BashParameterExpansion();
}
