using System.Text.Json.Nodes;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

public sealed class DataStackTests
{
    private static readonly string[] LockModes = ["GOVERNANCE", "COMPLIANCE"];

    private readonly Template _data = Repo.Template("data.yaml");

    [Fact]
    public void Database_WhenPrimary_IsPostgres16MultiAzEncryptedWithSevenDaysOfBackups()
    {
        var db = Primary();

        Assert.Equal("postgres", db["Engine"]?.ToString());
        Assert.StartsWith("16", db["EngineVersion"]?.ToString(), StringComparison.Ordinal);
        Assert.Equal("true", _data.Literal(db["MultiAZ"]));
        Assert.Equal("true", _data.Literal(db["StorageEncrypted"]));
        Assert.Equal("7", _data.Literal(db["BackupRetentionPeriod"]));
        Assert.Equal("true", _data.Literal(db["EnablePerformanceInsights"]));
        Assert.Equal("false", _data.Literal(db["PubliclyAccessible"]));
    }

    [Fact]
    public void Database_WhenCredentialsAreSet_TakesThemFromSecretsManagerNotFromTheTemplate()
    {
        var db = Primary();

        Assert.Contains("{{resolve:secretsmanager:${DbSecret}:SecretString:password}}", db["MasterUserPassword"]?["Fn::Sub"]?.ToString(), StringComparison.Ordinal);
        Assert.NotNull(Template.PropertiesOf((JsonObject)_data.Resources["DbSecret"]!)["GenerateSecretString"]);
    }

    [Fact]
    public void ReadReplica_WhenDeclared_IsOptionalBehindItsCondition()
    {
        var replica = (JsonObject)_data.Resources["ReadReplica"]!;

        Assert.Equal("WithReadReplica", replica["Condition"]?.ToString());
        Assert.Equal("false", _data.Literal(_data.Parameters["CreateReadReplica"]!["Default"]));
        Assert.Equal("Database", Template.PropertiesOf(replica)["SourceDBInstanceIdentifier"]?["Ref"]?.ToString());
    }

    [Fact]
    public void Secrets_WhenDeclared_IncludeTheTurnSharedSecretGenerated()
    {
        var turn = Template.PropertiesOf((JsonObject)_data.Resources["TurnSecret"]!);

        Assert.NotNull(turn["GenerateSecretString"]);
        Assert.Null(turn["SecretString"]);
    }

    [Fact]
    public void Buckets_WhenDeclared_CoverUploadsLogsBackupsAssetsAndAuditCheckpoints()
    {
        var buckets = _data.ResourcesOfType("AWS::S3::Bucket").Select(b => b.Id).Order(StringComparer.Ordinal);

        Assert.Equal(["AssetsBucket", "AuditCheckpointsBucket", "BackupsBucket", "LogsBucket", "UploadsBucket"], buckets);
        Assert.All(_data.ResourcesOfType("AWS::S3::Bucket"), b =>
            Assert.Equal("Enabled", Template.PropertiesOf(b.Resource)["VersioningConfiguration"]?["Status"]?.ToString()));
    }

    [Fact]
    public void AuditCheckpointsBucket_WhenWritten_IsUnderObjectLockWithADefaultRetention()
    {
        var audit = Template.PropertiesOf((JsonObject)_data.Resources["AuditCheckpointsBucket"]!);
        var retention = audit["ObjectLockConfiguration"]?["Rule"]?["DefaultRetention"];

        Assert.Equal("true", audit["ObjectLockEnabled"]?.ToString());
        Assert.Equal("Enabled", audit["ObjectLockConfiguration"]?["ObjectLockEnabled"]?.ToString());
        Assert.Contains(_data.Literal(retention?["Mode"]), LockModes);
        Assert.True(int.Parse(_data.Literal(retention?["Days"])!, System.Globalization.CultureInfo.InvariantCulture) >= 365);
    }

    [Fact]
    public void LogsBucket_WhenAging_ExpiresLogsAfterNinetyDays()
    {
        var rules = Template.PropertiesOf((JsonObject)_data.Resources["LogsBucket"]!)["LifecycleConfiguration"]?["Rules"] as JsonArray;

        var expiry = Assert.Single(rules!, r => r?["ExpirationInDays"] is not null)!;
        Assert.Equal("Enabled", expiry["Status"]?.ToString());
        Assert.Equal("90", _data.Literal(expiry["ExpirationInDays"]));
    }

    [Fact]
    public void Buckets_WhenNotServingLogsOrAssets_UseTheCustomerManagedKey()
    {
        foreach (var id in new[] { "UploadsBucket", "BackupsBucket", "AuditCheckpointsBucket" })
        {
            var sse = Template.PropertiesOf((JsonObject)_data.Resources[id]!)["BucketEncryption"]!["ServerSideEncryptionConfiguration"]![0]!["ServerSideEncryptionByDefault"]!;
            Assert.Equal("aws:kms", sse["SSEAlgorithm"]?.ToString());
            Assert.Equal("DataKey", sse["KMSMasterKeyID"]?["Fn::GetAtt"]?[0]?.ToString());
        }
    }

    private JsonObject Primary() =>
        Template.PropertiesOf(Assert.Single(_data.ResourcesOfType("AWS::RDS::DBInstance"), d => !Template.PropertiesOf(d.Resource).ContainsKey("SourceDBInstanceIdentifier")).Resource);
}
