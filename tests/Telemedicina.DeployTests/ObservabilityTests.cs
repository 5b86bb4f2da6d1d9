using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

public sealed class ObservabilityTests
{
    [Theory]
    [InlineData("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count")]
    [InlineData("AWS/ApplicationELB", "UnHealthyHostCount")]
    [InlineData("AWS/EC2", "CPUUtilization")]
    [InlineData("AWS/RDS", "DatabaseConnections")]
    [InlineData("AWS/RDS", "FreeStorageSpace")]
    public void Alarms_WhenDeclared_WatchTheMetric(string metricNamespace, string metric)
    {
        var alarms = Repo.Template("observability.yaml").ResourcesOfType("AWS::CloudWatch::Alarm").Select(a => a.Resource.ToJsonString());

        Assert.Contains(alarms, a => a.Contains($"\"Namespace\":\"{metricNamespace}\"", StringComparison.Ordinal)
            && a.Contains($"\"MetricName\":\"{metric}\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Alb5xxAlarm_WhenEvaluated_IsARateOfRequestsNotACount()
    {
        var alarm = Template.PropertiesOf(Repo.Template("observability.yaml").Resources["Alb5xxRateAlarm"]!.AsObject());

        var expression = alarm["Metrics"]![0]!["Expression"]!.ToString();
        Assert.Contains("requests", expression, StringComparison.Ordinal);
        Assert.StartsWith("100 *", expression, StringComparison.Ordinal);
    }

    [Fact]
    public void LogGroups_WhenCreated_HaveARetention()
    {
        var groups = Repo.AllTemplates().SelectMany(t => t.ResourcesOfType("AWS::Logs::LogGroup").Select(g => Template.PropertiesOf(g.Resource))).ToList();

        Assert.NotEmpty(groups);
        Assert.All(groups, g => Assert.NotNull(g["RetentionInDays"]));
    }
}
