using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Telemedicina.BuildingBlocks.Storage;

/// <summary>
/// The default store: files under <c>Storage:FileSystem:Root</c>. Writes go to a temporary file
/// first and are renamed into place, so a reader never sees half a file; the content type and the
/// write-once date live in a sidecar file. Downloads are streamed by the API (no pre-signed URLs).
/// </summary>
public sealed class FileSystemFileStore(IOptions<StorageSettings> settings, TimeProvider clock) : IFileStore
{
    private const string MetaSuffix = ".meta.json";
    private readonly string root = Path.GetFullPath(settings.Value.FileSystem.Root);

    public async Task PutAsync(string key, Stream content, string contentType, FilePutOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(key);
        EnsureNotRetained(key, path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await content.CopyToAsync(file, cancellationToken);
                await file.FlushAsync(cancellationToken);
            }

            await File.WriteAllTextAsync(path + MetaSuffix, JsonSerializer.Serialize(new Meta(contentType, options?.RetainUntil)), cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Task<StoredFile?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult<StoredFile?>(null);
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true);
        return Task.FromResult<StoredFile?>(new StoredFile(stream, ReadMeta(path).ContentType, stream.Length));
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        EnsureNotRetained(key, path);
        File.Delete(path);
        File.Delete(path + MetaSuffix);
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        FileKeys.ValidatePrefix(prefix);
        if (!Directory.Exists(root))
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }

        IReadOnlyList<string> keys = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(p => !p.EndsWith(MetaSuffix, StringComparison.Ordinal) && !p.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(root, p).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(keys);
    }

    public Task<Uri?> GetDownloadUrlAsync(string key, TimeSpan validFor, string downloadName, CancellationToken cancellationToken)
    {
        FileKeys.Validate(key);
        return Task.FromResult<Uri?>(null);
    }

    private void EnsureNotRetained(string key, string path)
    {
        if (File.Exists(path) && ReadMeta(path).RetainUntil is { } until && until > clock.GetUtcNow())
        {
            throw new IOException($"'{key}' is write-once until {until:O}.");
        }
    }

    private static Meta ReadMeta(string path) =>
        File.Exists(path + MetaSuffix)
            ? JsonSerializer.Deserialize<Meta>(File.ReadAllText(path + MetaSuffix)) ?? Meta.Default
            : Meta.Default;

    private string PathOf(string key) => Path.Combine(root, FileKeys.Validate(key).Replace('/', Path.DirectorySeparatorChar));

    private sealed record Meta(string ContentType, DateTimeOffset? RetainUntil)
    {
        public static Meta Default { get; } = new("application/octet-stream", null);
    }
}
