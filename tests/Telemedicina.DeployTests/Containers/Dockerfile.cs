using System.Text.RegularExpressions;

namespace Telemedicina.DeployTests.Containers;

/// <summary>One instruction of a Dockerfile (continuation lines joined, comments dropped).</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Line);

/// <summary>One build stage: its FROM image, its name and its instructions.</summary>
internal sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) =>
        Instructions.Where(i => string.Equals(i.Keyword, keyword, StringComparison.OrdinalIgnoreCase));

    /// <summary>ENV pairs of the stage (<c>ENV A=1 B=2</c>; the legacy <c>ENV A 1</c> too).</summary>
    public IReadOnlyDictionary<string, string> Environment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var env in All("ENV"))
        {
            var pairs = Dockerfile.EnvPair().Matches(env.Arguments);
            if (pairs.Count == 0)
            {
                var parts = env.Arguments.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                result[parts[0]] = parts.Length > 1 ? parts[1] : "";
                continue;
            }

            foreach (Match pair in pairs)
            {
                result[pair.Groups["key"].Value] = pair.Groups["value"].Value.Trim('"');
            }
        }

        return result;
    }
}

/// <summary>A small Dockerfile reader: enough for static checks of stages, USER, EXPOSE, ENV, HEALTHCHECK.</summary>
internal static partial class Dockerfile
{
    public static IReadOnlyList<DockerStage> Parse(string text)
    {
        var stages = new List<DockerStage>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        string? image = null;
        string? name = null;
        var instructions = new List<DockerInstruction>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var start = i + 1;
            var joined = line;
            while (joined.EndsWith('\\') && i + 1 < lines.Length)
            {
                joined = joined[..^1].TrimEnd() + " ";
                i++;
                var next = lines[i].Trim();
                if (!next.StartsWith('#'))
                {
                    joined += next;
                }
            }

            var space = joined.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? joined : joined[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : joined[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                if (image is not null)
                {
                    stages.Add(new DockerStage(image, name, instructions));
                }

                var from = FromLine().Match(arguments);
                image = from.Groups["image"].Value;
                name = from.Groups["name"].Success ? from.Groups["name"].Value : null;
                instructions = [];
                continue;
            }

            if (image is null && keyword != "ARG")
            {
                throw new FormatException($"line {start}: {keyword} before the first FROM");
            }

            instructions.Add(new DockerInstruction(keyword, arguments, start));
        }

        if (image is not null)
        {
            stages.Add(new DockerStage(image, name, instructions));
        }

        return stages;
    }

    [GeneratedRegex(@"^(?:--platform=\S+\s+)?(?<image>\S+)(?:\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>""[^""]*""|\S*)")]
    internal static partial Regex EnvPair();
}
