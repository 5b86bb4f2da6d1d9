using System.Text.RegularExpressions;

namespace Telemedicina.DeployTests.Containers;

/// <summary>
/// The configuration keys the host really reads, derived from the source under <c>src/</c> (no list
/// to keep in step by hand): every settings class with a <c>const string Section</c> and its
/// properties (nested settings classes and arrays followed), every literal key read through
/// <c>configuration["..."]</c>, <c>GetValue("...")</c>, <c>GetConnectionString("...")</c> or a
/// <c>GetSection("...")</c> variable, plus the keys in <c>src/Host/**/appsettings*.json</c>, plus the
/// few keys that ASP.NET Core, .NET and the SDKs read themselves (<see cref="Framework"/>).
/// </summary>
internal sealed partial class HostConfiguration
{
    /// <summary>Keys read by the framework or an SDK rather than by our code; each with why.</summary>
    public static readonly IReadOnlyDictionary<string, string> Framework = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["ASPNETCORE_ENVIRONMENT"] = "ASP.NET Core: the environment name (appsettings.{Environment}.json, HSTS, JSON logs)",
        ["ASPNETCORE_HTTP_PORTS"] = "ASP.NET Core: Kestrel HTTP ports (set by the aspnet image)",
        ["ASPNETCORE_URLS"] = "ASP.NET Core: Kestrel addresses",
        ["Urls"] = "ASP.NET Core: Kestrel addresses (README: `Urls`)",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = ".NET CLI telemetry",
        ["DOTNET_NOLOGO"] = ".NET CLI banner",
        ["AWS_REGION"] = "AWS SDK: default region (the S3 store with no Storage:S3:Region)",
        ["OTEL_SERVICE_NAME"] = "OpenTelemetry SDK: service name",
        ["OTEL_TRACES_SAMPLER"] = "OpenTelemetry SDK: trace sampler (parentbased_traceidratio in deploy/)",
        ["OTEL_TRACES_SAMPLER_ARG"] = "OpenTelemetry SDK: the sampler's ratio",
        ["HOME"] = "the runtime's home directory (systemd unit)",
    };

    private readonly HashSet<string> keys = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> arrays = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> prefixes = new(StringComparer.OrdinalIgnoreCase);

    private HostConfiguration()
    {
    }

    public static HostConfiguration Current { get; } = Scan(Path.Combine(Repo.Root, "src"));

    /// <summary>Every key found (colon form), arrays without their index.</summary>
    public IReadOnlyCollection<string> Keys => keys;

    /// <summary>Sections read whole (e.g. <c>Logging</c>): any key below them is a real key.</summary>
    public IReadOnlyCollection<string> OpenSections => prefixes;

    /// <summary>Scans the C# sources and appsettings files below <paramref name="sourceRoot"/>.</summary>
    public static HostConfiguration Scan(string sourceRoot)
    {
        var files = Directory.GetFiles(sourceRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        var result = FromSources(files);
        foreach (var json in Directory.GetFiles(sourceRoot, "appsettings*.json", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
            foreach (var property in document.RootElement.EnumerateObject())
            {
                // Logging:LogLevel:<category> is open-ended by design.
                if (property.Value.ValueKind == System.Text.Json.JsonValueKind.Object)
                {
                    result.prefixes.Add(property.Name);
                }
                else
                {
                    result.keys.Add(property.Name);
                }
            }
        }

        return result;
    }

    /// <summary>The keys the given C# sources read (used on the real sources and on inline samples).</summary>
    public static HostConfiguration FromSources(IReadOnlyList<string> sources)
    {
        var result = new HostConfiguration();
        var classes = new Dictionary<string, List<(string Type, string Name)>>(StringComparer.Ordinal);
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            foreach (Match match in ClassDeclaration().Matches(source))
            {
                var body = ClassBody(source, match.Index + match.Length);
                var name = match.Groups["name"].Value;
                classes[name] = [.. Property().Matches(body).Select(p => (p.Groups["type"].Value, p.Groups["name"].Value))];
                if (SectionConstant().Match(body) is { Success: true } section)
                {
                    sections[name] = section.Groups["section"].Value;
                }
            }
        }

        foreach (var (className, section) in sections)
        {
            result.AddClass(classes, className, section, depth: 0);
        }

        foreach (var source in sources)
        {
            foreach (Match match in ConfigurationIndexer().Matches(source))
            {
                result.keys.Add(match.Groups["key"].Value);
            }

            foreach (Match match in ConfigurationGetValue().Matches(source))
            {
                result.keys.Add(match.Groups["key"].Value);
            }

            foreach (Match match in ConnectionString().Matches(source))
            {
                result.keys.Add($"ConnectionStrings:{match.Groups["name"].Value}");
            }

            foreach (Match match in SectionVariable().Matches(source))
            {
                var variable = match.Groups["variable"].Value;
                var section = match.Groups["section"].Value;
                if (source.AsSpan(match.Index + match.Length).TrimStart().StartsWith(".Get<string[]>()", StringComparison.Ordinal))
                {
                    result.arrays.Add(section);
                }

                foreach (Match use in Regex.Matches(source, $@"\b{Regex.Escape(variable)}(?:\.GetValue(?:<[^>]+>)?\(|\[)\s*""(?<key>[A-Za-z0-9_:]+)"""))
                {
                    result.keys.Add($"{section}:{use.Groups["key"].Value}");
                }
            }

            foreach (Match match in SectionArray().Matches(source))
            {
                result.arrays.Add(match.Groups["section"].Value);
            }
        }

        foreach (var array in result.arrays)
        {
            result.keys.Add(array);
        }

        return result;
    }

    /// <summary>
    /// Whether an environment variable name (<c>Section__Key__0</c>) or a colon key names a key the host
    /// (or the framework, see <see cref="Framework"/>) reads.
    /// </summary>
    public bool Reads(string environmentName)
    {
        if (Framework.ContainsKey(environmentName))
        {
            return true;
        }

        var key = environmentName.Replace("__", ":", StringComparison.Ordinal);
        if (keys.Contains(key) || prefixes.Any(p => key.StartsWith(p + ":", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        // Section:Array:N
        var lastColon = key.LastIndexOf(':');
        return lastColon > 0 && int.TryParse(key[(lastColon + 1)..], out _) && arrays.Contains(key[..lastColon]);
    }

    private void AddClass(Dictionary<string, List<(string Type, string Name)>> classes, string className, string prefix, int depth)
    {
        if (depth > 5 || !classes.TryGetValue(className, out var properties))
        {
            return;
        }

        foreach (var (type, name) in properties)
        {
            var key = $"{prefix}:{name}";
            var elementType = type.TrimEnd('?');
            if (elementType.EndsWith("[]", StringComparison.Ordinal))
            {
                arrays.Add(key);
                elementType = elementType[..^2];
            }

            if (classes.ContainsKey(elementType))
            {
                AddClass(classes, elementType, key, depth + 1);
            }
            else
            {
                keys.Add(key);
            }
        }
    }

    /// <summary>The text between the brace that opens a class and the one that closes it.</summary>
    private static string ClassBody(string source, int from)
    {
        var open = source.IndexOf('{', from);
        if (open < 0)
        {
            return "";
        }

        var depth = 0;
        for (var i = open; i < source.Length; i++)
        {
            depth += source[i] switch { '{' => 1, '}' => -1, _ => 0 };
            if (depth == 0)
            {
                return source[(open + 1)..i];
            }
        }

        return source[(open + 1)..];
    }

    [GeneratedRegex(@"^[ \t]*(?:(?:public|internal|private|file|sealed|static|partial|abstract)\s+)*class\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\b[^{;]*(?=\{)", RegexOptions.Multiline)]
    private static partial Regex ClassDeclaration();

    // Settable public properties only: what the binder fills.
    [GeneratedRegex(@"public\s+(?<type>[A-Za-z_][A-Za-z0-9_<>,\[\]?. ]*?)\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*\{\s*get;\s*(?:set|init);\s*\}")]
    private static partial Regex Property();

    [GeneratedRegex(@"const\s+string\s+Section\s*=\s*""(?<section>[^""]+)""")]
    private static partial Regex SectionConstant();

    [GeneratedRegex(@"[Cc]onfiguration\[\s*""(?<key>[^""]+)""\s*\]")]
    private static partial Regex ConfigurationIndexer();

    [GeneratedRegex(@"[Cc]onfiguration\.GetValue(?:<[^>]+>)?\(\s*""(?<key>[^""]+)""")]
    private static partial Regex ConfigurationGetValue();

    [GeneratedRegex(@"GetConnectionString\(\s*""(?<name>[^""]+)""\s*\)")]
    private static partial Regex ConnectionString();

    [GeneratedRegex(@"var\s+(?<variable>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*[A-Za-z_.]*[Cc]onfiguration\.GetSection\(\s*""(?<section>[^""]+)""\s*\)")]
    private static partial Regex SectionVariable();

    [GeneratedRegex(@"GetSection\(\s*""(?<section>[^""]+)""\s*\)\s*\.Get<string\[\]>\(\)")]
    private static partial Regex SectionArray();
}
