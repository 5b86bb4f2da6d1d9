using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace Telemedicina.BuildingBlocks.Storage;

/// <summary>
/// The production store: one bucket (and prefix) on S3 through AWSSDK.S3, server-side encryption
/// on every object, pre-signed GET URLs for downloads, Object Lock for write-once files when the
/// bucket has it. With <c>ServiceUrl</c> it talks to an S3-compatible server (path-style, checksums
/// only when required and no aws-chunked uploads, which such servers store verbatim).
/// </summary>
public sealed class S3FileStore : IFileStore, IDisposable
{
    private readonly AmazonS3Client client;
    private readonly S3StorageSettings settings;
    private readonly string rootPrefix;

    public S3FileStore(IOptions<StorageSettings> options)
        : this(options.Value.S3)
    {
    }

    public S3FileStore(S3StorageSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        this.settings = settings;
        if (string.IsNullOrWhiteSpace(settings.Bucket))
        {
            throw new InvalidOperationException("Storage:S3:Bucket is required when Storage:Provider is S3.");
        }

        rootPrefix = settings.Prefix.Length == 0 ? "" : FileKeys.Validate(settings.Prefix.Trim('/')) + "/";
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (!string.IsNullOrEmpty(settings.ServiceUrl))
        {
            config.ServiceURL = settings.ServiceUrl;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = settings.Region ?? "us-east-1";
        }
        else if (!string.IsNullOrEmpty(settings.Region))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(settings.Region);
        }

        client = settings.AccessKey is { Length: > 0 } accessKey
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, settings.SecretKey), config)
            : new AmazonS3Client(config);
    }

    public async Task PutAsync(string key, Stream content, string contentType, FilePutOptions? options, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = settings.Bucket,
            Key = ObjectKey(key),
            InputStream = content,
            ContentType = contentType,
            UseChunkEncoding = false,
            AutoCloseStream = false,
        };
        if (!string.Equals(settings.ServerSideEncryption, "none", StringComparison.OrdinalIgnoreCase))
        {
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.FindValue(settings.ServerSideEncryption);
        }

        if (options?.RetainUntil is { } until && settings.ObjectLock)
        {
            request.ObjectLockMode = ObjectLockMode.Compliance;
            request.ObjectLockRetainUntilDate = until.UtcDateTime;
        }

        await client.PutObjectAsync(request, cancellationToken);
    }

    public async Task<StoredFile?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.GetObjectAsync(settings.Bucket, ObjectKey(key), cancellationToken);
            return new StoredFile(response.ResponseStream, response.Headers.ContentType ?? "application/octet-stream", response.ContentLength);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var objectKey = ObjectKey(key);
        try
        {
            await client.GetObjectMetadataAsync(settings.Bucket, objectKey, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await client.DeleteObjectAsync(settings.Bucket, objectKey, cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = settings.Bucket, Prefix = rootPrefix + FileKeys.ValidatePrefix(prefix) };
        var keys = new List<string>();
        ListObjectsV2Response response;
        do
        {
            response = await client.ListObjectsV2Async(request, cancellationToken);
            keys.AddRange((response.S3Objects ?? []).Select(o => o.Key[rootPrefix.Length..]));
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    public async Task<Uri?> GetDownloadUrlAsync(string key, TimeSpan validFor, string downloadName, CancellationToken cancellationToken)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = settings.Bucket,
            Key = ObjectKey(key),
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow.Add(validFor),
            Protocol = settings.ServiceUrl?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        };
        request.ResponseHeaderOverrides.ContentDisposition = $"attachment; filename=\"{FileKeys.Validate(downloadName)}\"";
        return new Uri(await client.GetPreSignedURLAsync(request));
    }

    public void Dispose() => client.Dispose();

    private string ObjectKey(string key) => rootPrefix + FileKeys.Validate(key);
}
