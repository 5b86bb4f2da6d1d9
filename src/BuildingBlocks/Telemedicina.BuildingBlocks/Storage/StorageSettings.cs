namespace Telemedicina.BuildingBlocks.Storage;

/// <summary>The <c>Storage</c> configuration section.</summary>
public sealed class StorageSettings
{
    public const string Section = "Storage";

    /// <summary><c>FileSystem</c> (default) or <c>S3</c>.</summary>
    public string Provider { get; set; } = "FileSystem";

    public FileSystemStorageSettings FileSystem { get; set; } = new();

    public S3StorageSettings S3 { get; set; } = new();
}

public sealed class FileSystemStorageSettings
{
    /// <summary>Root folder; relative paths are resolved against the working directory.</summary>
    public string Root { get; set; } = ".data/files";
}

public sealed class S3StorageSettings
{
    public string Bucket { get; set; } = "";

    /// <summary>Key prefix inside the bucket (the instance role is limited to it in production).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>AWS region (production); ignored when <see cref="ServiceUrl"/> is set.</summary>
    public string? Region { get; set; }

    /// <summary>An S3-compatible endpoint (tests, local development); path-style addressing is used with it.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>Static credentials for an S3-compatible endpoint; production uses the instance role.</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary><c>AES256</c> (default), <c>aws:kms</c> or <c>none</c> (only for servers without SSE).</summary>
    public string ServerSideEncryption { get; set; } = "AES256";

    /// <summary>Whether the bucket has Object Lock enabled (write-once files).</summary>
    public bool ObjectLock { get; set; }

    /// <summary>
    /// A separate bucket with Object Lock for the audit checkpoints (production); when empty they go to
    /// <see cref="Bucket"/> like every other file.
    /// </summary>
    public string? CheckpointBucket { get; set; }

    public string CheckpointPrefix { get; set; } = "checkpoints";

    /// <summary>The settings of the checkpoint store: the checkpoint bucket, its prefix, Object Lock on.</summary>
    public S3StorageSettings ForCheckpoints() => new()
    {
        Bucket = CheckpointBucket!,
        Prefix = CheckpointPrefix,
        Region = Region,
        ServiceUrl = ServiceUrl,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        ServerSideEncryption = ServerSideEncryption,
        ObjectLock = true,
    };
}
