using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

public sealed partial class DeliveryTests
{
    private static readonly string[] Hooks = ["ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService"];

    public static TheoryData<string> Scripts =>
        [.. Directory.GetFiles(Path.Combine(Repo.Root, "deploy", "codedeploy"), "*.sh", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Repo.Root, f)).Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData(".github/workflows/ci.yml")]
    [InlineData(".github/workflows/deploy.yml")]
    [InlineData("buildspec.yml")]
    [InlineData("deploy/codedeploy/appspec.yml")]
    [InlineData("deploy/aws/README.md")]
    public void DeliveryFile_WhenLookedFor_IsPresentAndNotEmpty(string path)
    {
        var full = Path.Combine(Repo.Root, path);

        Assert.True(File.Exists(full), $"{path} is missing");
        Assert.NotEmpty(File.ReadAllText(full).Trim());
    }

    [Fact]
    public void Appspec_WhenDeploying_RunsEveryLifecycleHookWithAScriptThatExists()
    {
        var appspec = Appspec();
        var hooks = (JsonObject)appspec["hooks"]!;

        Assert.Equal(Hooks, hooks.Select(h => h.Key));
        foreach (var (_, hook) in hooks)
        {
            var location = hook![0]!["location"]!.ToString();
            Assert.StartsWith("scripts/", location, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(Repo.Root, "deploy", "codedeploy", location)), $"{location} is missing");
        }

        Assert.Equal("/opt/telemedicina", appspec["files"]?[0]?["destination"]?.ToString());
    }

    [Fact]
    public void ApplicationStop_WhenRun_StopsTheUnitGracefullyWithSystemctl()
    {
        var script = Hook("ApplicationStop");

        Assert.Contains("systemctl stop telemedicina", script, StringComparison.Ordinal);
        Assert.DoesNotContain("kill -9", script, StringComparison.Ordinal);
        Assert.DoesNotContain("SIGKILL", script, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateService_WhenRun_PollsReadinessOnTheUnitsPortWithATimeoutAndFailsOtherwise()
    {
        var script = Hook("ValidateService");
        var port = UnitPort();

        Assert.Contains($"http://127.0.0.1:{port}/health/ready", script, StringComparison.Ordinal);
        Assert.Matches(@"while \(\( \$\(date \+%s\) < deadline \)\)", script);
        Assert.Contains("exit 1", script, StringComparison.Ordinal);
    }

    [Fact]
    public void AfterInstall_WhenWritingTheEnv_ListensOnThePortTheTargetGroupChecks()
    {
        var script = Hook("AfterInstall");

        Assert.Contains($"Urls=http://0.0.0.0:{UnitPort()}", script, StringComparison.Ordinal);
        Assert.Contains("Orleans__AdvertisedIPAddress=$private_ip", script, StringComparison.Ordinal);
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT=", script, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_WhenRunByCodeDeployOrCi_IsStrictBash(string path)
    {
        var lines = Repo.Read(path).Split('\n');

        Assert.Equal("#!/usr/bin/env bash", lines[0]);
        Assert.Contains("set -euo pipefail", lines);
    }

    [Fact]
    public void DeploymentGroup_WhenDeploying_ControlsAlbTrafficAndRollsBackOnFailureOrAlarm()
    {
        var pipeline = Repo.Template("pipeline.yaml");
        var group = Template.PropertiesOf(pipeline.Single("AWS::CodeDeploy::DeploymentGroup").Resource);

        Assert.Equal("WITH_TRAFFIC_CONTROL", group["DeploymentStyle"]?["DeploymentOption"]?.ToString());
        Assert.Equal("${ProjectName}-${EnvironmentName}-TargetGroupName", group["LoadBalancerInfo"]?["TargetGroupInfoList"]?[0]?["Name"]?["Fn::ImportValue"]?["Fn::Sub"]?.ToString());
        Assert.Equal("${ProjectName}-${EnvironmentName}-AutoScalingGroupName", group["AutoScalingGroups"]?[0]?["Fn::ImportValue"]?["Fn::Sub"]?.ToString());
        Assert.Equal("true", group["AutoRollbackConfiguration"]?["Enabled"]?.ToString());
        Assert.Equal(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"], (group["AutoRollbackConfiguration"]!["Events"] as JsonArray)!.Select(e => e!.ToString()));
        Assert.Equal("true", group["AlarmConfiguration"]?["Enabled"]?.ToString());
        Assert.Equal(2, (group["AlarmConfiguration"]!["Alarms"] as JsonArray)!.Count);
    }

    [Fact]
    public void DeployWorkflow_WhenPromotingToProd_WaitsForTheProdEnvironmentsApprovalAfterStaging()
    {
        var workflow = Yaml(".github/workflows/deploy.yml");
        var jobs = (JsonObject)workflow["jobs"]!;

        Assert.Equal("staging", jobs["staging"]?["environment"]?.ToString());
        Assert.Equal("prod", jobs["prod"]?["environment"]?.ToString());
        Assert.Contains("staging", jobs["prod"]!["needs"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("write", jobs["prod"]?["permissions"]?["id-token"]?.ToString());
        Assert.Contains("bundle.sh", jobs["build"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void CiWorkflow_WhenTesting_InstallsPostgresChromiumAndCoturnFromOsPackagesAndRunsTestSh()
    {
        var text = Repo.Read(".github", "workflows", "ci.yml");

        Assert.Matches(@"apt-get install[^\n]*(\\\n[^\n]*)*postgresql chromium coturn", text);
        Assert.Contains("run: ./test.sh", text, StringComparison.Ordinal);
    }

    private static JsonObject Appspec() => Yaml("deploy/codedeploy/appspec.yml");

    private static JsonObject Yaml(string path) => CfnYaml.Parse(Repo.Read(path), path).Root;

    private static string Hook(string name) =>
        Repo.Read("deploy", "codedeploy", Appspec()["hooks"]![name]![0]!["location"]!.ToString());

    /// <summary>The HTTP port the systemd env example gives Kestrel (Urls=http://0.0.0.0:PORT).</summary>
    private static string UnitPort() =>
        UrlsPort().Match(Repo.Read("deploy", "systemd", "telemedicina.env.example")).Groups["port"].Value is { Length: > 0 } port
            ? port
            : throw new InvalidOperationException("no Urls=http://0.0.0.0:PORT in deploy/systemd/telemedicina.env.example");

    [GeneratedRegex(@"^Urls=http://0\.0\.0\.0:(?<port>\d+)$", RegexOptions.Multiline)]
    private static partial Regex UrlsPort();
}
