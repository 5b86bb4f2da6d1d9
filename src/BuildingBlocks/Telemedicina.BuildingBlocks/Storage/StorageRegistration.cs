using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Telemedicina.BuildingBlocks.Storage;

public static class StorageRegistration
{
    /// <summary>Registers the configured <see cref="IFileStore"/>: the file system by default, S3 when <c>Storage:Provider</c> is S3.</summary>
    public static IServiceCollection AddFileStore(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(StorageSettings.Section);
        services.Configure<StorageSettings>(section);
        services.TryAddSingleton(TimeProvider.System);
        var provider = section["Provider"] ?? "FileSystem";
        if (string.Equals(provider, "S3", StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IFileStore, S3FileStore>();
        }
        else if (string.Equals(provider, "FileSystem", StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IFileStore, FileSystemFileStore>();
        }
        else
        {
            throw new InvalidOperationException($"Unknown Storage:Provider '{provider}' (use FileSystem or S3).");
        }

        return services;
    }
}
