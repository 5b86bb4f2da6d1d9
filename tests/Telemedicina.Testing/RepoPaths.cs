namespace Telemedicina.Testing;

/// <summary>Where the repository and the built host are, from a test's point of view.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>
    /// The host executable the tests start as real silo processes: the build output, or the file
    /// <c>TELEMEDICINA_HOST_DLL</c> names (./bench.sh points it at the host published as it is deployed).
    /// </summary>
    public static string HostDll
    {
        get
        {
            if (Environment.GetEnvironmentVariable(HostDllVariable) is { Length: > 0 } chosen)
            {
                return File.Exists(chosen)
                    ? Path.GetFullPath(chosen)
                    : throw new FileNotFoundException($"{HostDllVariable} names a file that does not exist: {chosen}");
            }

            var path = Path.Combine(Root, "src", "Host", "Telemedicina.Host", "bin", Configuration, "net10.0", "Telemedicina.Host.dll");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"Build the host first (dotnet build -c {Configuration}); not found: {path}");
        }
    }

    /// <summary>The environment variable that chooses another host executable than the build output.</summary>
    public const string HostDllVariable = "TELEMEDICINA_HOST_DLL";

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Telemedicina.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Telemedicina.sln not found above " + AppContext.BaseDirectory);
    }
}
