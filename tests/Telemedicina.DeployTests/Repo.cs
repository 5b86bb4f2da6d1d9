using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

/// <summary>The repository the tests run from, and the deployment files in it.</summary>
internal static class Repo
{
    public static readonly string Root = FindRoot();

    public static string AwsDirectory => Path.Combine(Root, "deploy", "aws");

    /// <summary>The template file names every stack-level test runs over (a new file joins automatically).</summary>
    public static IReadOnlyList<string> TemplateFiles { get; } =
        Directory.GetFiles(Path.Combine(FindRoot(), "deploy", "aws"), "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    private static readonly Dictionary<string, Template> Cache = new(StringComparer.Ordinal);

    public static Template Template(string fileName)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(fileName, out var template))
            {
                template = CfnYaml.LoadFile(Path.Combine(AwsDirectory, fileName));
                Cache[fileName] = template;
            }

            return template;
        }
    }

    public static IEnumerable<Template> AllTemplates() => TemplateFiles.Select(Template);

    public static string Read(params string[] relative) => File.ReadAllText(Path.Combine([Root, .. relative]));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Telemedicina.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Telemedicina.sln not found above {AppContext.BaseDirectory}");
    }
}
