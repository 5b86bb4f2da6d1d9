using System.Text.Json.Nodes;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

public sealed class TemplateParsingTests
{
    public static TheoryData<string> Templates => [.. Repo.TemplateFiles];

    /// <summary>CloudFormation's resource types in sa-east-1 and us-east-1 (CloudFormation/resource-types.txt).</summary>
    private static readonly HashSet<string> KnownResourceTypes =
        [.. File.ReadAllLines(Path.Combine(Repo.Root, "tests", "Telemedicina.DeployTests", "CloudFormation", "resource-types.txt")).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    [Fact]
    public void DeployAws_WhenListed_HoldsEveryStackOfTheReadme()
    {
        string[] expected = ["app.yaml", "data.yaml", "edge.yaml", "network.yaml", "observability.yaml", "pipeline.yaml", "turn.yaml"];

        Assert.Equal(expected, Repo.TemplateFiles);
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenParsed_HasVersionDescriptionAndResources(string file)
    {
        var template = Repo.Template(file);

        Assert.Equal("2010-09-09", template.Root["AWSTemplateFormatVersion"]?.ToString());
        Assert.False(string.IsNullOrWhiteSpace(template.Root["Description"]?.ToString()), $"{file}: no Description");
        Assert.NotEmpty(template.Resources);
        Assert.All(template.Resources, r => Assert.StartsWith("AWS::", Template.TypeOf((JsonObject)r.Value!)));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenParsed_UsesOnlyResourceTypesKnownInBothRegions(string file)
    {
        var unknown = Repo.Template(file).Resources
            .Select(r => (r.Key, Type: Template.TypeOf((JsonObject)r.Value!)))
            .Where(r => r.Type is null || !KnownResourceTypes.Contains(r.Type))
            .Select(r => $"{r.Key}: {r.Type}")
            .ToList();

        Assert.True(unknown.Count == 0, $"{file}: unknown resource types (or not in sa-east-1 and us-east-1): {string.Join(", ", unknown)}");
    }

    [Theory]
    [InlineData("AWS::EC2::VPC", true)]
    [InlineData("AWS::CloudFront::Distribution", true)]
    [InlineData("AWS::EC2::Vpc", false)]
    [InlineData("AWS::S3::Buckets", false)]
    [InlineData("AWS::ElastiCache::CacheClusterX", false)]
    [InlineData("AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", false)]
    public void KnownResourceTypes_WhenAsked_AreCaseExactAndComplete(string type, bool expected)
    {
        Assert.True(KnownResourceTypes.Count > 1000, "the list of known types is truncated");
        Assert.Equal(expected, KnownResourceTypes.Contains(type));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenParsed_DeclaresEnvironmentParameterWithItsThreeValues(string file)
    {
        var environment = Repo.Template(file).Parameters["EnvironmentName"] as JsonObject;

        Assert.NotNull(environment);
        Assert.Equal(["dev", "staging", "prod"], (environment["AllowedValues"] as JsonArray)!.Select(v => v!.ToString()));
    }

    [Theory]
    [InlineData("!Ref Vpc", "Ref", "\"Vpc\"")]
    [InlineData("!Sub '${AWS::Region}-x'", "Fn::Sub", "\"${AWS::Region}-x\"")]
    [InlineData("!GetAtt Db.Endpoint.Address", "Fn::GetAtt", "[\"Db\",\"Endpoint.Address\"]")]
    [InlineData("!GetAtt [Db, Arn]", "Fn::GetAtt", "[\"Db\",\"Arn\"]")]
    [InlineData("!If [C, a, b]", "Fn::If", "[\"C\",\"a\",\"b\"]")]
    [InlineData("!Equals [a, b]", "Fn::Equals", "[\"a\",\"b\"]")]
    [InlineData("!Not [!Condition C]", "Fn::Not", "[{\"Condition\":\"C\"}]")]
    [InlineData("!And [!Condition C, !Condition D]", "Fn::And", "[{\"Condition\":\"C\"},{\"Condition\":\"D\"}]")]
    [InlineData("!Or [!Condition C, !Condition D]", "Fn::Or", "[{\"Condition\":\"C\"},{\"Condition\":\"D\"}]")]
    [InlineData("!Select [0, !GetAZs '']", "Fn::Select", "[\"0\",{\"Fn::GetAZs\":\"\"}]")]
    [InlineData("!Join [',', [a, b]]", "Fn::Join", "[\",\",[\"a\",\"b\"]]")]
    [InlineData("!Split [',', a]", "Fn::Split", "[\",\",\"a\"]")]
    [InlineData("!ImportValue x-Export", "Fn::ImportValue", "\"x-Export\"")]
    [InlineData("!FindInMap [M, k, v]", "Fn::FindInMap", "[\"M\",\"k\",\"v\"]")]
    [InlineData("!Base64 text", "Fn::Base64", "\"text\"")]
    [InlineData("!Cidr [10.0.0.0/16, 4, 8]", "Fn::Cidr", "[\"10.0.0.0/16\",\"4\",\"8\"]")]
    [InlineData("!Condition C", "Condition", "\"C\"")]
    public void Parse_WhenShortFormTag_BecomesLongFormFunction(string value, string function, string argumentJson)
    {
        var template = CfnYaml.Parse($"Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      P: {value}\n");

        var property = Template.PropertiesOf((JsonObject)template.Resources["R"]!)["P"] as JsonObject;

        Assert.NotNull(property);
        Assert.Equal([function], property.Select(p => p.Key));
        Assert.Equal(argumentJson, property[function]!.ToJsonString());
    }

    [Fact]
    public void Parse_WhenEveryShortFormTagIsKnown_CoversTheBriefsList()
    {
        string[] required = ["!Ref", "!Sub", "!GetAtt", "!If", "!Equals", "!Select", "!GetAZs", "!Join", "!ImportValue", "!FindInMap", "!Split", "!Not", "!And", "!Or", "!Condition", "!Base64", "!Cidr"];

        Assert.All(required, tag => Assert.Contains(tag, CfnYaml.Tags.Keys));
    }

    [Theory]
    [InlineData("Resources:\n  R: !Reff X\n", "unknown tag !Reff")]
    [InlineData("Resources:\n  R: !GetAtt NoDot\n", "not Resource.Attribute")]
    [InlineData("Resources:\n  R: 1\n  R: 2\n", "uplicate")]
    [InlineData("Resources:\n  R: [a, b\n", "not valid YAML")]
    [InlineData("- a\n- b\n", "not a mapping")]
    public void Parse_WhenTemplateIsBroken_FailsWithAMessageSayingWhy(string yaml, string expected)
    {
        var error = Assert.ThrowsAny<Exception>(() => CfnYaml.Parse(yaml));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
