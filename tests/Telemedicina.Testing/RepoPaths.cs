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

    /// <summary>The host executable the tests start as real silo processes.</summary>
    public static string HostDll
    {
        get
        {
            var path = Path.Combine(Root, "src", "Host", "Telemedicina.Host", "bin", Configuration, "net10.0", "Telemedicina.Host.dll");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"Build the host first (dotnet build -c {Configuration}); not found: {path}");
        }
    }

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
