using System.Diagnostics;

namespace Telemedicina.Testing;

/// <summary>
/// An S3-compatible server (npm <c>s3rver</c>, installed by ./test.sh under tests/tools) on
/// loopback with one bucket, for the file store's S3 tests and silos configured with S3 storage.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly Process _process;
    private readonly string _directory;

    private S3Server(Process process, string directory, int port, string bucket)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Bucket = bucket;
    }

    public int Port { get; }

    public string Bucket { get; }

    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Configuration (as environment variables or configuration keys with ':') for a store on this server.</summary>
    public IReadOnlyDictionary<string, string> Settings(string separator = "__") => new Dictionary<string, string>
    {
        [$"Storage{separator}Provider"] = "S3",
        [$"Storage{separator}S3{separator}ServiceUrl"] = ServiceUrl,
        [$"Storage{separator}S3{separator}Bucket"] = Bucket,
        [$"Storage{separator}S3{separator}Prefix"] = "telemedicina",
        [$"Storage{separator}S3{separator}AccessKey"] = AccessKey,
        [$"Storage{separator}S3{separator}SecretKey"] = SecretKey,
    };

    public static async Task<S3Server> StartAsync(string bucket = "telemedicina-test")
    {
        var script = Path.Combine(RepoPaths.Root, "tests", "tools", "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"s3rver is not installed ({script}); ./test.sh runs npm ci in tests/tools.");
        }

        var port = PostgresServer.FreeTcpPort();
        var directory = Directory.CreateTempSubdirectory("s3rver-").FullName;
        var start = new ProcessStartInfo("node");
        foreach (var arg in new[] { script, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", bucket })
        {
            start.ArgumentList.Add(arg);
        }

        var server = new S3Server(ServerProcess.Start(start, "s3rver"), directory, port, bucket);
        try
        {
            await ServerProcess.WaitListeningAsync(server._process, port, TimeSpan.FromSeconds(20), "s3rver");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ServerProcess.StopAsync(_process);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
