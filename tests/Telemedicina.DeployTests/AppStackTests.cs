using System.Text.Json.Nodes;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

public sealed class AppStackTests
{
    private readonly Template _app = Repo.Template("app.yaml");

    [Fact]
    public void TargetGroup_WhenRouting_HasNoStickinessBecauseAnySiloServesAnyBrowser()
    {
        var attributes = Template.KeyValues(Properties("AWS::ElasticLoadBalancingV2::TargetGroup")["TargetGroupAttributes"]);

        Assert.Equal("false", _app.Literal(attributes["stickiness.enabled"]));
    }

    [Fact]
    public void TargetGroup_WhenCheckingHealth_AsksReadinessOnTheSilosHttpPort()
    {
        var tg = Properties("AWS::ElasticLoadBalancingV2::TargetGroup");

        Assert.Equal("/health/ready", tg["HealthCheckPath"]?.ToString());
        Assert.Equal("200", tg["Matcher"]?["HttpCode"]?.ToString());
        Assert.Equal("${ProjectName}-${EnvironmentName}-AppPort", tg["Port"]?["Fn::ImportValue"]?["Fn::Sub"]?.ToString());
        Assert.Equal("8080", Repo.Template("network.yaml").Literal(Repo.Template("network.yaml").Parameters["AppPort"]!["Default"]));
    }

    [Fact]
    public void TargetGroup_WhenDeregistering_WaitsExactlyTheHostsGracefulShutdownTimeout()
    {
        var attributes = Template.KeyValues(Properties("AWS::ElasticLoadBalancingV2::TargetGroup")["TargetGroupAttributes"]);
        var composition = Repo.Read("src", "Host", "Telemedicina.Host", "Composition", "HostComposition.cs");

        Assert.Equal("45", _app.Literal(attributes["deregistration_delay.timeout_seconds"]));
        Assert.Contains("ShutdownTimeout = TimeSpan.FromSeconds(45)", composition, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadBalancer_WhenCarryingWebSockets_HasAnIdleTimeoutAboveSignalRsClientTimeout()
    {
        var attributes = Template.KeyValues(Properties("AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]);
        var idle = int.Parse(_app.Literal(attributes["idle_timeout.timeout_seconds"])!, System.Globalization.CultureInfo.InvariantCulture);

        // SignalR: keep-alive 15 s, client timeout 30 s (HostComposition); the ALB must outlast both.
        Assert.InRange(idle, 60, 4000);
        Assert.Equal("true", _app.Literal(attributes["access_logs.s3.enabled"]));
    }

    [Fact]
    public void HttpListener_WhenPort80_RedirectsPermanentlyToHttps()
    {
        var listeners = _app.ResourcesOfType("AWS::ElasticLoadBalancingV2::Listener").Select(l => Template.PropertiesOf(l.Resource)).ToList();
        var http = Assert.Single(listeners, l => l["Port"]?.ToString() == "80");

        var action = Assert.Single((http["DefaultActions"] as JsonArray)!)!;
        Assert.Equal("redirect", action["Type"]?.ToString());
        Assert.Equal("HTTPS", action["RedirectConfig"]?["Protocol"]?.ToString());
        Assert.Equal("443", action["RedirectConfig"]?["Port"]?.ToString());
        Assert.Equal("HTTP_301", action["RedirectConfig"]?["StatusCode"]?.ToString());
    }

    [Fact]
    public void HttpsListener_WhenPort443_UsesTheCertificateParameterAndForwardsToTheSilos()
    {
        var https = Assert.Single(_app.ResourcesOfType("AWS::ElasticLoadBalancingV2::Listener").Select(l => Template.PropertiesOf(l.Resource)), l => l["Port"]?.ToString() == "443");

        Assert.Equal("HTTPS", https["Protocol"]?.ToString());
        Assert.Equal("CertificateArn", https["Certificates"]?[0]?["CertificateArn"]?["Ref"]?.ToString());
        Assert.StartsWith("ELBSecurityPolicy-TLS13", https["SslPolicy"]?.ToString(), StringComparison.Ordinal);
        Assert.Equal("TargetGroup", https["DefaultActions"]?[0]?["TargetGroupArn"]?["Ref"]?.ToString());
    }

    [Fact]
    public void AutoScalingGroup_WhenSized_RunsTwoToTenSilosStartingWithThree()
    {
        var asg = Properties("AWS::AutoScaling::AutoScalingGroup");

        Assert.Equal("2", _app.Literal(asg["MinSize"]));
        Assert.Equal("3", _app.Literal(asg["DesiredCapacity"]));
        Assert.Equal("10", _app.Literal(asg["MaxSize"]));
        Assert.Equal("ELB", asg["HealthCheckType"]?.ToString());
        Assert.Equal("TargetGroup", asg["TargetGroupARNs"]?[0]?["Ref"]?.ToString());
    }

    [Fact]
    public void AutoScalingGroup_WhenScalingIn_HoldsTerminatingInstancesForTheDrainHook()
    {
        var asg = Properties("AWS::AutoScaling::AutoScalingGroup");
        var hook = Assert.Single((asg["LifecycleHookSpecificationList"] as JsonArray)!)!;

        Assert.Equal("autoscaling:EC2_INSTANCE_TERMINATING", hook["LifecycleTransition"]?.ToString());
        Assert.InRange(int.Parse(hook["HeartbeatTimeout"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture), 60, 300);
        Assert.Equal("CONTINUE", hook["DefaultResult"]?.ToString());

        // The watcher in the user data completes that very hook after a graceful systemctl stop.
        var userData = UserData();
        Assert.Contains($"--lifecycle-hook-name {hook["LifecycleHookName"]}", userData, StringComparison.Ordinal);
        Assert.Contains("autoscaling/target-lifecycle-state", userData, StringComparison.Ordinal);
        Assert.Contains("systemctl stop telemedicina", userData, StringComparison.Ordinal);
    }

    [Fact]
    public void ScalingPolicies_WhenTracking_FollowCpuAndRequestsPerTarget()
    {
        var metrics = _app.ResourcesOfType("AWS::AutoScaling::ScalingPolicy")
            .Select(p => Template.PropertiesOf(p.Resource))
            .Select(p => (Type: p["PolicyType"]?.ToString(), Metric: p["TargetTrackingConfiguration"]?["PredefinedMetricSpecification"]?["PredefinedMetricType"]?.ToString()))
            .ToList();

        Assert.Equal([("TargetTrackingScaling", "ASGAverageCPUUtilization"), ("TargetTrackingScaling", "ALBRequestCountPerTarget")], metrics);
    }

    [Fact]
    public void LaunchTemplate_WhenBooting_RequiresImdsV2AndEncryptsTheDisk()
    {
        var data = Properties("AWS::EC2::LaunchTemplate")["LaunchTemplateData"]!;

        Assert.Equal("required", data["MetadataOptions"]?["HttpTokens"]?.ToString());
        Assert.Equal("true", data["BlockDeviceMappings"]?[0]?["Ebs"]?["Encrypted"]?.ToString());
    }

    [Fact]
    public void UserData_WhenPreparingASilo_InstallsRuntimeAndAgentsAndPointsOtlpAtTheLocalCollector()
    {
        var userData = UserData();

        Assert.StartsWith("#!/bin/bash\nset -euo pipefail\n", userData, StringComparison.Ordinal);
        Assert.Contains("dotnet-install.sh", userData, StringComparison.Ordinal);
        Assert.Contains("--runtime aspnetcore", userData, StringComparison.Ordinal);
        Assert.Contains("codedeploy-agent", userData, StringComparison.Ordinal);
        Assert.Contains("amazon-cloudwatch-agent", userData, StringComparison.Ordinal);
        Assert.Contains("endpoint: 127.0.0.1:4317", userData, StringComparison.Ordinal);
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317", userData, StringComparison.Ordinal);
        Assert.Contains("DB_SECRET_ARN=${DbSecretArn}", userData, StringComparison.Ordinal);
        Assert.Contains("TURN_SECRET_ARN=${TurnSecretArn}", userData, StringComparison.Ordinal);
    }

    private JsonObject Properties(string type) => Template.PropertiesOf(_app.Single(type).Resource);

    private string UserData() =>
        Properties("AWS::EC2::LaunchTemplate")["LaunchTemplateData"]!["UserData"]!["Fn::Base64"]!["Fn::Sub"]![0]!.ToString();
}
