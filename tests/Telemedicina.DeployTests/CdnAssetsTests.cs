using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Telemedicina.DeployTests.CloudFormation;
using Telemedicina.DeployTests.Containers;

namespace Telemedicina.DeployTests;

/// <summary>
/// The web build served from CloudFront: Vite's base from TELEMEDICINA_ASSETS_BASE (default "/", the
/// host's wwwroot), publish-assets.sh uploading hashed bundles (immutable) before index.html
/// (no-cache), run before each deployment, with the permissions and the CDN behaviours it needs.
/// </summary>
public sealed partial class CdnAssetsTests
{
    private static readonly string Script = Repo.Read("deploy", "codedeploy", "publish-assets.sh");

    [Fact]
    public void ViteConfig_WhenNoAssetsBaseIsSet_BuildsForTheHostsWwwrootAtSlash()
    {
        var config = Repo.Read("src", "Web", "vite.config.ts");

        Assert.Matches(@"base:\s*assetsBase\(loadEnv\(mode, ""\."", ""TELEMEDICINA_""\)\.TELEMEDICINA_ASSETS_BASE\)", config);
        Assert.Matches(@"if \(!base\) \{\s*return ""/"";", config);
        Assert.Contains("outDir: \"../Host/Telemedicina.Host/wwwroot\"", config, StringComparison.Ordinal);
        Assert.Equal("vite build", Package()["scripts"]?["build"]?.ToString());
    }

    [Fact]
    public void PublishAssets_WhenRun_BuildsForTheCdnAndUploadsBundlesImmutableThenIndexNoCache()
    {
        var sync = Line(@"^aws s3 sync ""\$work/web/assets"" ""s3://\$bucket/assets/"" \\\n\s+--cache-control 'public, max-age=31536000, immutable'");
        var index = Line(@"^aws s3 cp ""\$work/web/index.html"" ""s3://\$bucket/index.html"" \\\n\s+--cache-control 'no-cache'");
        var build = Line(@"TELEMEDICINA_ASSETS_BASE=""\$base"" npx vite build --outDir ""\$work/web""");

        Assert.True(build < sync && sync < index, "order must be: build, bundles, index.html");
        Assert.DoesNotContain("--delete", Script, StringComparison.Ordinal);
        Assert.DoesNotContain("s3 rm", Script, StringComparison.Ordinal);
    }

    [Fact]
    public void PublishAssets_WhenUpdatingTheRevision_TellsTheHostTheCdnUnderAKeyItReads()
    {
        Assert.Contains("app/wwwroot/index.html", Script, StringComparison.Ordinal);
        Assert.Contains(@"{\n  ""Web"": {\n    ""AssetsBaseUrl"": ""%s""", Script, StringComparison.Ordinal);
        Assert.True(HostConfiguration.Current.Reads("Web__AssetsBaseUrl"), "the host does not read Web:AssetsBaseUrl");
        // appsettings.Production.json is read because the unit runs the host as Production from /opt/telemedicina.
        var unit = Repo.Read("deploy", "systemd", "telemedicina.service");
        Assert.Contains("Environment=ASPNETCORE_ENVIRONMENT=Production", unit, StringComparison.Ordinal);
        Assert.Contains("WorkingDirectory=/opt/telemedicina", unit, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("staging")]
    [InlineData("prod")]
    public void DeployWorkflow_WhenAnEnvironmentHasACdn_PublishesAssetsBeforeDeployingTheRevision(string job)
    {
        var steps = (JsonArray)Workflow()["jobs"]![job]!["steps"]!;
        var names = steps.Select(s => s!["run"]?.ToString() ?? "").ToList();
        var publish = names.FindIndex(r => r.Contains("bash deploy/codedeploy/publish-assets.sh \"${{ needs.build.outputs.revision }}\" \"${{ vars.ASSETS_BUCKET }}\" \"${{ vars.ASSETS_BASE_URL }}\"", StringComparison.Ordinal));
        var deploy = names.FindIndex(r => r.Contains("bash deploy/codedeploy/deploy.sh \"${{ needs.build.outputs.revision }}\"", StringComparison.Ordinal));
        var credentials = steps.Select(s => s!["uses"]?.ToString() ?? "").ToList().FindIndex(u => u.StartsWith("aws-actions/configure-aws-credentials", StringComparison.Ordinal));

        Assert.True(publish >= 0 && deploy > publish && credentials < publish, $"{job}: credentials, then publish-assets, then deploy");
        Assert.Equal("${{ vars.ASSETS_BUCKET != '' && vars.ASSETS_BASE_URL != '' }}", steps[publish]!["if"]?.ToString());
    }

    [Fact]
    public void Buildspec_WhenACdnIsConfigured_PublishesAssetsIntoTheRevisionBeforeItIsUnpacked()
    {
        var commands = ((JsonArray)CfnYaml.Parse(Repo.Read("buildspec.yml"), "buildspec.yml").Root["phases"]!["build"]!["commands"]!).Select(c => c!.ToString()).ToList();
        var bundle = commands.FindIndex(c => c.StartsWith("bash deploy/codedeploy/bundle.sh", StringComparison.Ordinal));
        var publish = commands.FindIndex(c => c.Contains("bash deploy/codedeploy/publish-assets.sh out/revision.zip \"$ASSETS_BUCKET\" \"$ASSETS_BASE_URL\"", StringComparison.Ordinal));
        var unpack = commands.FindIndex(c => c.Contains("unzip -q ../revision.zip", StringComparison.Ordinal));

        Assert.True(bundle >= 0 && bundle < publish && publish < unpack, "bundle, publish-assets, unpack");
    }

    [Fact]
    public void DeployRole_WhenPublishingAssets_MayPutBundlesAndIndexButNotDelete()
    {
        var role = Template.PropertiesOf((JsonObject)Repo.Template("pipeline.yaml").Resources["GitHubDeployRole"]!);
        var statements = (JsonArray)role["Policies"]![0]!["PolicyDocument"]!["Statement"]!;
        var put = statements.Single(s => s!["Sid"]?.ToString() == "PublishAssets")!;
        var resources = ((JsonArray)put["Resource"]!).Select(r => r!["Fn::Sub"]![0]!.ToString()).ToList();

        Assert.Equal("s3:PutObject", put["Action"]?.ToString());
        Assert.Equal(["arn:${AWS::Partition}:s3:::${Bucket}/assets/*", "arn:${AWS::Partition}:s3:::${Bucket}/index.html"], resources);
        Assert.All((JsonArray)put["Resource"]!, r => Assert.Equal("${ProjectName}-${EnvironmentName}-AssetsBucket", r!["Fn::Sub"]![1]!["Bucket"]!["Fn::ImportValue"]!["Fn::Sub"]!.ToString()));
        Assert.DoesNotContain("Delete", statements.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Distribution_WhenServingIndexHtml_NeverCachesItAtTheEdge()
    {
        var edge = Repo.Template("edge.yaml");
        var config = Template.PropertiesOf(edge.Single("AWS::CloudFront::Distribution").Resource)["DistributionConfig"]!;
        var index = ((JsonArray)config["CacheBehaviors"]!).Single(b => b!["PathPattern"]?.ToString() == "index.html")!;

        // Managed policy "CachingDisabled".
        Assert.Equal("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", index["CachePolicyId"]?.ToString());
        Assert.Equal("redirect-to-https", index["ViewerProtocolPolicy"]?.ToString());
    }

    private static JsonObject Package() => (JsonObject)JsonNode.Parse(Repo.Read("src", "Web", "package.json"))!;

    private static JsonObject Workflow() => CfnYaml.Parse(Repo.Read(".github", "workflows", "deploy.yml"), "deploy.yml").Root;

    private static int Line(string pattern)
    {
        var match = Regex.Match(Script, pattern, RegexOptions.Multiline);
        return match.Success ? match.Index : throw new Xunit.Sdk.XunitException($"publish-assets.sh lacks /{pattern}/");
    }
}
