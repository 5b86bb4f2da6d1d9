namespace Telemedicina.BuildingBlocks.Storage;

/// <summary>A stored file opened for reading; dispose it to release the stream.</summary>
public sealed class StoredFile(Stream content, string contentType, long length) : IAsyncDisposable
{
    public Stream Content { get; } = content;

    public string ContentType { get; } = contentType;

    public long Length { get; } = length;

    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>How a file is written.</summary>
/// <param name="RetainUntil">
/// Write-once until this instant: S3 Object Lock (compliance mode) when the bucket has it enabled;
/// the file system store marks the file read-only. Used for audit checkpoints.
/// </param>
public sealed record FilePutOptions(DateTimeOffset? RetainUntil = null);

/// <summary>
/// The one file store of the system (exports, audit checkpoints, doctors' credential documents,
/// avatars): the local file system by default, S3 in production. Keys are relative paths of
/// safe segments (see <see cref="FileKeys"/>); an invalid key throws <see cref="ArgumentException"/>.
/// </summary>
public interface IFileStore
{
    /// <summary>Writes (or replaces) a file. The content is complete when the call returns.</summary>
    Task PutAsync(string key, Stream content, string contentType, FilePutOptions? options, CancellationToken cancellationToken);

    /// <summary>Opens a file; null when there is none.</summary>
    Task<StoredFile?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes a file; false when there was none.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>The keys under a prefix, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// A time-limited URL that downloads the file without further authentication (S3 pre-signed GET),
    /// or null when the store has none (the file system): the API then streams the file itself.
    /// </summary>
    Task<Uri?> GetDownloadUrlAsync(string key, TimeSpan validFor, string downloadName, CancellationToken cancellationToken);
}

/// <summary>Rules for file keys: 1–512 characters, segments of letters, digits, '.', '_' and '-', no '..' and no leading '.'.</summary>
public static class FileKeys
{
    public static string Validate(string key)
    {
        if (!IsValid(key))
        {
            throw new ArgumentException("Invalid file key: use segments of letters, digits, '.', '_' and '-' separated by '/'.", nameof(key));
        }

        return key;
    }

    public static bool IsValid(string? key) =>
        !string.IsNullOrEmpty(key) && key.Length <= 512 && key.Split('/').All(IsValidSegment);

    /// <summary>A prefix is empty or a valid key optionally followed by '/'.</summary>
    public static string ValidatePrefix(string prefix) =>
        prefix.Length == 0 ? prefix : Validate(prefix.TrimEnd('/')) + (prefix.EndsWith('/') ? "/" : "");

    private static bool IsValidSegment(string segment) =>
        segment.Length > 0 && segment[0] != '.' && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
