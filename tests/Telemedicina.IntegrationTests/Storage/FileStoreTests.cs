using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Telemedicina.BuildingBlocks.Storage;
using Telemedicina.Testing;

namespace Telemedicina.IntegrationTests.Storage;

/// <summary>
/// The same file store tests against both providers, built from configuration the way the host
/// builds them: the local file system and S3 (AWSSDK.S3 against s3rver on loopback).
/// </summary>
public sealed class FileStoreTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("filestore-").FullName;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private S3Server? _s3;

    public static TheoryData<string> Providers => new() { "FileSystem", "S3" };

    public async ValueTask InitializeAsync() => _s3 = await S3Server.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task PutThenOpen_ReturnsTheSameBytesAndContentType_AndReplaceOverwrites(string provider)
    {
        var store = Create(provider);
        var body = new byte[300_000];
        Random.Shared.NextBytes(body);

        await store.PutAsync("exports/u1/bundle.json", new MemoryStream(body), "application/json", null, Ct);
        await using (var file = await store.OpenReadAsync("exports/u1/bundle.json", Ct))
        {
            Assert.NotNull(file);
            Assert.Equal("application/json", file.ContentType);
            Assert.Equal(body.Length, file.Length);
            Assert.Equal(body, await ReadAllAsync(file.Content));
        }

        await store.PutAsync("exports/u1/bundle.json", Text("second"), "text/plain", null, Ct);
        await using var replaced = await store.OpenReadAsync("exports/u1/bundle.json", Ct);
        Assert.Equal("second", Encoding.UTF8.GetString(await ReadAllAsync(replaced!.Content)));
        Assert.Equal("text/plain", replaced.ContentType);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task List_GivesOnlyKeysUnderThePrefix_InOrder_AndDeleteRemoves(string provider)
    {
        var store = Create(provider);
        foreach (var key in new[] { "avatars/b.png", "avatars/a.png", "avatarsX/c.png", "documents/d.pdf" })
        {
            await store.PutAsync(key, Text(key), "application/octet-stream", null, Ct);
        }

        Assert.Equal(["avatars/a.png", "avatars/b.png"], await store.ListAsync("avatars/", Ct));
        Assert.Equal(4, (await store.ListAsync("", Ct)).Count);

        Assert.True(await store.DeleteAsync("avatars/a.png", Ct));
        Assert.False(await store.DeleteAsync("avatars/a.png", Ct));
        Assert.Null(await store.OpenReadAsync("avatars/a.png", Ct));
        Assert.Equal(["avatars/b.png"], await store.ListAsync("avatars/", Ct));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task MissingFile_IsNull_AndUnsafeKeysAreRefusedBeforeAnyIo(string provider)
    {
        var store = Create(provider);
        Assert.Null(await store.OpenReadAsync("nothing/here.txt", Ct));
        foreach (var key in new[] { "../etc/passwd", "/abs", "a//b", "a/../b", ".hidden", "a b", "a\\b", new string('x', 513), "" })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(key, Text("x"), "text/plain", null, Ct));
            await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(key, Ct));
        }

        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_root)!, "etc", "passwd")));
    }

    [Fact]
    public async Task S3_DownloadUrl_IsAPreSignedGetThatServesTheFileWithoutCredentials_ForTheAskedTime()
    {
        var store = Create("S3");
        await store.PutAsync("exports/u2/bundle.json", Text("{\"ok\":true}"), "application/json", null, Ct);

        var url = await store.GetDownloadUrlAsync("exports/u2/bundle.json", TimeSpan.FromMinutes(5), "meus-dados.json", Ct);

        Assert.NotNull(url);
        Assert.Contains("X-Amz-Signature=", url.Query, StringComparison.Ordinal);
        using var http = new HttpClient();
        using var response = await http.GetAsync(url, Ct);
        response.EnsureSuccessStatusCode();
        Assert.Equal("{\"ok\":true}", await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains("meus-dados.json", response.Content.Headers.ContentDisposition?.ToString(), StringComparison.Ordinal);

        // Valid for what was asked, no longer (S3 enforces it; s3rver checks signatures only loosely).
        Assert.Contains("X-Amz-Expires=300", url.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileSystem_HasNoDownloadUrl_AndKeepsWriteOnceFilesUntilTheirDate()
    {
        var store = Create("FileSystem");
        Assert.Null(await store.GetDownloadUrlAsync("x/y.json", TimeSpan.FromMinutes(5), "y.json", Ct));

        await store.PutAsync("audit-checkpoints/1.json", Text("c1"), "application/json", new FilePutOptions(_clock.GetUtcNow().AddDays(1)), Ct);
        await Assert.ThrowsAsync<IOException>(() => store.PutAsync("audit-checkpoints/1.json", Text("forged"), "application/json", null, Ct));
        await Assert.ThrowsAsync<IOException>(() => store.DeleteAsync("audit-checkpoints/1.json", Ct));

        _clock.Advance(TimeSpan.FromDays(2));
        Assert.True(await store.DeleteAsync("audit-checkpoints/1.json", Ct));
    }

    private IFileStore Create(string provider)
    {
        var settings = provider == "S3"
            ? _s3!.Settings(":").ToDictionary(p => p.Key, p => (string?)p.Value)
            : new Dictionary<string, string?> { ["Storage:Provider"] = "FileSystem", ["Storage:FileSystem:Root"] = _root };
        if (provider == "S3")
        {
            // s3rver has no server-side encryption; production keeps the AES256 default.
            settings["Storage:S3:ServerSideEncryption"] = "none";
        }

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddFileStore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider().GetRequiredService<IFileStore>();
    }

    private static MemoryStream Text(string value) => new(Encoding.UTF8.GetBytes(value));

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;
}
