using System.Text.RegularExpressions;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

/// <summary>The deployment documents say what the templates and workflows do, and cover the runbook's topics.</summary>
public sealed class OperationsDocsTests
{
    private const string Adr = "docs/adr/0007-in-place-deployments-and-stack-level-blue-green.md";

    [Fact]
    public void ReleaseStrategy_WhenDocumented_MatchesTheInPlaceDeploymentGroup()
    {
        var group = Template.PropertiesOf(Repo.Template("pipeline.yaml").Single("AWS::CodeDeploy::DeploymentGroup").Resource);

        Assert.Equal("IN_PLACE", group["DeploymentStyle"]?["DeploymentType"]?.ToString());
        Assert.True(File.Exists(Path.Combine(Repo.Root, Adr)), $"{Adr} is missing");
        Assert.Contains("0007-in-place-deployments-and-stack-level-blue-green.md", Repo.Read(".github", "workflows", "deploy.yml"), StringComparison.Ordinal);
        Assert.Contains("0007-in-place-deployments-and-stack-level-blue-green.md", Repo.Read("deploy", "aws", "README.md"), StringComparison.Ordinal);
        Assert.Contains("0007-in-place-deployments-and-stack-level-blue-green.md", Repo.Read("deploy", "README.md"), StringComparison.Ordinal);
        Assert.DoesNotContain("BLUE_GREEN", Repo.Read(".github", "workflows", "deploy.yml"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("## First deploy")]
    [InlineData("## Scale out / in")]
    [InlineData("## Rotate secrets")]
    [InlineData("## Restore RDS to a point in time")]
    [InlineData("## Disaster-recovery drill")]
    [InlineData("## Incident response and the LGPD timeline")]
    [InlineData("## Stack-level blue/green")]
    [InlineData("## Cost estimate")]
    public void Runbook_WhenRead_HasTheSection(string heading) =>
        Assert.Contains(heading + "\n", Repo.Read("deploy", "RUNBOOK.md"), StringComparison.Ordinal);

    [Fact]
    public void Runbook_WhenDescribingIncidents_UsesTheProductsRegisterAndItsDeadline()
    {
        var runbook = Repo.Read("deploy", "RUNBOOK.md");
        var deadline = Repo.Read("src", "Modules", "Audit", "Telemedicina.Audit", "Privacy", "IncidentDeadline.cs");
        var endpoints = Repo.Read("src", "Modules", "Audit", "Telemedicina.Audit", "Endpoints", "Incidents", "IncidentsEndpoints.cs");

        Assert.Matches(@"public const int BusinessDays = 3;", deadline);
        Assert.Contains("**3 business days**", runbook, StringComparison.Ordinal);
        foreach (var (verb, path) in new[] { ("POST", "/incidents"), ("GET", "/incidents"), ("POST", "/incidents/{id}/notices") })
        {
            Assert.Contains($"{verb} /api/v1/admin{path}", runbook, StringComparison.Ordinal);
            var mapped = $"admin.Map{(verb == "GET" ? "Get" : "Post")}(\"{path.Replace("{id}", "{id:guid}", StringComparison.Ordinal)}\"";
            Assert.Contains(mapped, endpoints, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CostEstimate_WhenRead_StatesRegionsDateAndAssumptionsForThePlansSizes()
    {
        var runbook = Repo.Read("deploy", "RUNBOOK.md");
        var costs = runbook[runbook.IndexOf("## Cost estimate", StringComparison.Ordinal)..];

        Assert.Matches(@"Prices checked on \*\*\d{4}-\d{2}-\d{2}\*\*", costs);
        foreach (var word in new[] { "us-east-1", "sa-east-1", "t3.medium", "t3.large", "db.t3.medium Multi-AZ", "NAT", "ALB", "S3", "CloudFront", "TURN", "assumption" })
        {
            Assert.Contains(word, costs, StringComparison.Ordinal);
        }

        // Every total row has a figure for both regions.
        var totals = Regex.Matches(costs, @"^\| \*\*Total[^|]*\*\* \| \*\*[\d,.]+\*\* \| \*\*[\d,.]+\*\* \|$", RegexOptions.Multiline);
        Assert.Equal(4, totals.Count);
    }
}
