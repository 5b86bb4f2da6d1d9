using System.Text.Json.Nodes;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

public sealed class EdgeAndTurnTests
{
    private readonly Template _edge = Repo.Template("edge.yaml");
    private readonly Template _turn = Repo.Template("turn.yaml");

    [Fact]
    public void WebAcl_WhenGuardingTheAlb_HasARateBasedBlockRuleAndIsAssociatedWithTheAlb()
    {
        var acl = Template.PropertiesOf(_edge.Single("AWS::WAFv2::WebACL").Resource);
        var association = Template.PropertiesOf(_edge.Single("AWS::WAFv2::WebACLAssociation").Resource);

        Assert.Equal("REGIONAL", acl["Scope"]?.ToString());
        var rate = Assert.Single((acl["Rules"] as JsonArray)!, r => r?["Statement"]?["RateBasedStatement"] is not null)!;
        Assert.NotNull(rate["Action"]?["Block"]);
        Assert.Equal("IP", rate["Statement"]!["RateBasedStatement"]!["AggregateKeyType"]?.ToString());
        Assert.Equal("${ProjectName}-${EnvironmentName}-LoadBalancerArn", association["ResourceArn"]?["Fn::ImportValue"]?["Fn::Sub"]?.ToString());
        Assert.Equal("WebAcl", association["WebACLArn"]?["Fn::GetAtt"]?[0]?.ToString());
    }

    [Fact]
    public void Distribution_WhenServingHashedAssets_CompressesCachesForAYearAndSendsSecurityHeaders()
    {
        var behavior = Template.PropertiesOf(_edge.Single("AWS::CloudFront::Distribution").Resource)["DistributionConfig"]!["DefaultCacheBehavior"]!;
        var cache = Template.PropertiesOf((JsonObject)_edge.Resources[behavior["CachePolicyId"]!["Ref"]!.ToString()]!)["CachePolicyConfig"]!;
        var headers = Template.PropertiesOf((JsonObject)_edge.Resources[behavior["ResponseHeadersPolicyId"]!["Ref"]!.ToString()]!)["ResponseHeadersPolicyConfig"]!["SecurityHeadersConfig"]!;

        Assert.Equal("true", behavior["Compress"]?.ToString());
        Assert.Equal("redirect-to-https", behavior["ViewerProtocolPolicy"]?.ToString());
        Assert.Equal("31536000", cache["DefaultTTL"]?.ToString());
        Assert.True(int.Parse(headers["StrictTransportSecurity"]!["AccessControlMaxAgeSec"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 31536000);
        Assert.Equal("true", headers["ContentTypeOptions"]?["Override"]?.ToString());
        Assert.Contains("frame-ancestors 'none'", headers["ContentSecurityPolicy"]?["ContentSecurityPolicy"]?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AssetsBucket_WhenReadByCloudFront_IsReadOnlyThroughThisDistribution()
    {
        var policy = Template.PropertiesOf(_edge.Single("AWS::S3::BucketPolicy").Resource)["PolicyDocument"]!["Statement"] as JsonArray;

        var allow = Assert.Single(policy!, s => s?["Effect"]?.ToString() == "Allow")!;
        Assert.Equal("cloudfront.amazonaws.com", allow["Principal"]?["Service"]?.ToString());
        Assert.Equal("s3:GetObject", allow["Action"]?.ToString());
        Assert.Contains("${AssetsDistribution}", allow["Condition"]?["StringEquals"]?["AWS:SourceArn"]?["Fn::Sub"]?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Coturn_WhenConfigured_UsesTheSharedSecretFromSecretsManager()
    {
        var userData = TurnUserData();

        Assert.Contains("use-auth-secret", userData, StringComparison.Ordinal);
        Assert.Contains("static-auth-secret=$SECRET", userData, StringComparison.Ordinal);
        Assert.Contains("secretsmanager get-secret-value --region '${AWS::Region}' --secret-id '${TurnSecretArn}'", userData, StringComparison.Ordinal);
        Assert.Contains("listening-port=3478", userData, StringComparison.Ordinal);
        Assert.Contains("tls-listening-port=443", userData, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.0-10.255.255.255")]
    [InlineData("172.16.0.0-172.31.255.255")]
    [InlineData("192.168.0.0-192.168.255.255")]
    [InlineData("127.0.0.0-127.255.255.255")]
    [InlineData("169.254.0.0-169.254.255.255")]
    [InlineData("100.64.0.0-100.127.255.255")]
    [InlineData("0.0.0.0-0.255.255.255")]
    [InlineData("fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("::1")]
    public void Coturn_WhenRelaying_RefusesPeersInPrivateAndReservedRanges(string range)
    {
        var lines = TurnUserData().Split('\n').Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);

        Assert.Contains($"denied-peer-ip={range}", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("allow-loopback-peers", StringComparison.Ordinal) || l.StartsWith("allowed-peer-ip", StringComparison.Ordinal));
    }

    [Fact]
    public void Coturn_WhenRelayRangeIsConfigured_MatchesTheSecurityGroupsRelayPorts()
    {
        var network = Repo.Template("network.yaml");

        Assert.Equal(network.Literal(network.Parameters["TurnRelayPortMin"]!["Default"]), _turn.Literal(_turn.Parameters["RelayPortMin"]!["Default"]));
        Assert.Equal(network.Literal(network.Parameters["TurnRelayPortMax"]!["Default"]), _turn.Literal(_turn.Parameters["RelayPortMax"]!["Default"]));
        Assert.Contains("min-port=${RelayPortMin}", TurnUserData(), StringComparison.Ordinal);
        Assert.Contains("max-port=${RelayPortMax}", TurnUserData(), StringComparison.Ordinal);
    }

    private string TurnUserData() =>
        Template.PropertiesOf(_turn.Single("AWS::EC2::LaunchTemplate").Resource)["LaunchTemplateData"]!["UserData"]!["Fn::Base64"]!["Fn::Sub"]![0]!.ToString();
}
