using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Telemedicina.BuildingBlocks.Storage;

public static class StorageRegistration
{
    /// <summary>The keyed <see cref="IFileStore"/> for audit checkpoints (write-once; its own bucket in production).</summary>
    public const string AuditCheckpoints = "audit-checkpoints";

    /// <summary>
    /// Registers the configured <see cref="IFileStore"/> (the file system by default, S3 when
    /// <c>Storage:Provider</c> is S3) and the keyed checkpoint store: the same store unless
    /// <c>Storage:S3:CheckpointBucket</c> names an Object Lock bucket.
    /// </summary>
    public static IServiceCollection AddFileStore(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(StorageSettings.Section);
        services.Configure<StorageSettings>(section);
        services.TryAddSingleton(TimeProvider.System);
        var provider = section["Provider"] ?? "FileSystem";
        if (string.Equals(provider, "S3", StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IFileStore, S3FileStore>();
            if (!string.IsNullOrEmpty(section["S3:CheckpointBucket"]))
            {
                services.AddKeyedSingleton<IFileStore>(AuditCheckpoints, (sp, _) =>
                    new S3FileStore(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageSettings>>().Value.S3.ForCheckpoints()));
                return services;
            }
        }
        else if (string.Equals(provider, "FileSystem", StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IFileStore, FileSystemFileStore>();
        }
        else
        {
            throw new InvalidOperationException($"Unknown Storage:Provider '{provider}' (use FileSystem or S3).");
        }

        services.AddKeyedSingleton<IFileStore>(AuditCheckpoints, (sp, _) => sp.GetRequiredService<IFileStore>());
        return services;
    }
}
