using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Dapper;
using Npgsql;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Audit;

/// <summary>
/// The product configured for S3 (AWSSDK.S3 against s3rver on loopback), on its own cluster because
/// these tests cut the audit chain: the export link is a pre-signed URL that works without the API,
/// and signed checkpoints in the store reveal a cut-off tail or a forged checkpoint that the chain
/// alone cannot.
/// </summary>
public sealed class S3StorageTests(S3ClusterFixture fixture) : IClassFixture<S3ClusterFixture>
{
    private sealed record Verification(bool Valid, long Checked, long? FirstBrokenId, string? Reason);

    private sealed record Checkpoint(long LastEntryId, string LastHash, long EntryCount, DateTimeOffset CreatedAt, string Signature);

    private TestCluster Cluster => fixture.Cluster;

    private S3Server S3 => fixture.S3;

    private TestUser Admin => fixture.Admin;

    [Fact]
    public async Task Export_OnS3_IsDownloadedWithThePreSignedUrl_WithoutTheApi()
    {
        using var api = Cluster.Api(0);
        var patient = await api.RegisterPatientAsync(withPersonalData: true);
        var accepted = await api.SendAsync<PrivacyRightsTests.ExportAccepted>(HttpMethod.Post, "/api/v1/privacy/export", null, patient.AccessToken, HttpStatusCode.Accepted);
        var ready = await PrivacyRightsTests.WaitReadyAsync(api, patient, accepted.ExportId);

        var url = new Uri(ready.DownloadUrl!);
        Assert.Equal(S3.Port, url.Port);
        Assert.Contains("X-Amz-Signature=", url.Query, StringComparison.Ordinal);
        using var http = new HttpClient();
        var bundle = await http.GetStringAsync(url, TestContext.Current.CancellationToken);
        Assert.Contains(patient.Email, bundle, StringComparison.Ordinal);

        // The object sits under the configured prefix of the bucket.
        using var s3 = S3Client();
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3.Bucket, Prefix = "telemedicina/exports/" }, TestContext.Current.CancellationToken);
        Assert.Contains(listed.S3Objects, o => o.Key.EndsWith($"{accepted.ExportId:N}.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignedCheckpoints_RevealACutOffTail_AndAForgedCheckpoint()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api = Cluster.Api(0);
        var patient = await api.RegisterPatientAsync();
        for (var i = 0; i < 5; i++)
        {
            await api.SendAsync<object>(HttpMethod.Post, "/api/v1/privacy/consents", new { type = "dataProcessing", granted = i % 2 == 0 }, patient.AccessToken);
        }

        var checkpoint = await api.SendAsync<Checkpoint>(HttpMethod.Post, "/api/v1/admin/audit/checkpoints", null, Admin.AccessToken);
        Assert.True(checkpoint.EntryCount >= 5);
        Assert.Equal(64, checkpoint.Signature.Length);
        Assert.True((await VerifyAsync(api)).Valid);

        // A checkpoint written into the store without the key is refused.
        using var s3 = S3Client();
        var key = $"telemedicina/audit-checkpoints/{checkpoint.LastEntryId + 1_000_000:D15}.json";
        var forged = System.Text.Json.JsonSerializer.Serialize(checkpoint with { EntryCount = 1, LastEntryId = checkpoint.LastEntryId + 1_000_000 }, ApiJson.Options);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = S3.Bucket, Key = key, ContentBody = forged, UseChunkEncoding = false }, ct);
        var refused = await VerifyAsync(api);
        Assert.False(refused.Valid);
        Assert.Contains("signature", refused.Reason, StringComparison.Ordinal);
        await s3.DeleteObjectAsync(S3.Bucket, key, ct);
        Assert.True((await VerifyAsync(api)).Valid);

        // Someone with database access cuts off the newest entries: what is left is a consistent chain,
        // but the signed checkpoint counted more.
        await using var db = new NpgsqlConnection(Cluster.ConnectionString);
        await db.OpenAsync(ct);
        var cut = checkpoint.LastEntryId - 2;
        await AsSuperuserAsync(db, "DELETE FROM audit.entries WHERE id >= @cut", new { cut });
        var truncated = await VerifyAsync(api);
        Assert.False(truncated.Valid);
        Assert.Equal(cut, truncated.FirstBrokenId);
        Assert.Contains("missing", truncated.Reason, StringComparison.Ordinal);
        // (Not restored: verify's own audit entry has already chained onto the cut head. This cluster is this class's own.)
    }


    private Task<Verification> VerifyAsync(TelemedicinaApi api) =>
        api.SendAsync<Verification>(HttpMethod.Get, "/api/v1/admin/audit/verify", null, Admin.AccessToken);

    private AmazonS3Client S3Client() => new(S3Server.AccessKey, S3Server.SecretKey, new AmazonS3Config
    {
        ServiceURL = S3.ServiceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED,
    });

    private static async Task AsSuperuserAsync(NpgsqlConnection db, string sql, object? parameters)
    {
        await using var tx = await db.BeginTransactionAsync();
        await db.ExecuteAsync("SET LOCAL session_replication_role = replica", transaction: tx);
        await db.ExecuteAsync(sql, parameters, tx);
        await tx.CommitAsync();
    }
}

/// <summary>One silo configured for S3 storage on an s3rver of its own, with the demo admin logged in.</summary>
public sealed class S3ClusterFixture : IAsyncLifetime
{
    private S3Server? _s3;
    private TestCluster? _cluster;
    private TestUser? _admin;

    public S3Server S3 => _s3 ?? throw new InvalidOperationException("Not started.");

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("Not started.");

    public TestUser Admin => _admin ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync()
    {
        _s3 = await S3Server.StartAsync();
        var environment = new Dictionary<string, string>(_s3.Settings()) { ["Storage__S3__ServerSideEncryption"] = "none" };
        _cluster = await TestCluster.StartAsync(silos: 1, environment);
        using var api = _cluster.Api(0);
        _admin = await api.LoginDemoAdminAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }
    }
}
