using System.Text.RegularExpressions;
using Telemedicina.Testing;

namespace Telemedicina.ArchitectureTests;

/// <summary>
/// The silos keep their statements prepared on the server (ConnectionPool in BuildingBlocks). A prepared
/// <c>SELECT *</c> changes its result when a migration adds a column, and PostgreSQL then refuses it once per
/// connection ("cached plan must not change result type") while the previous release still serves (ADR 0007).
/// </summary>
public sealed partial class QueryShapeTests
{
    [Fact]
    public void QueriesNameTheColumnsTheyRead()
    {
        var src = Path.Combine(RepoPaths.Root, "src");
        var offenders = Directory.EnumerateFiles(src, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".sql", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => StarColumns().IsMatch(l.Text) && !l.Text.TrimStart().StartsWith("--", StringComparison.Ordinal))
            .Select(l => $"{Path.GetRelativePath(src, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.True(offenders.Count == 0, "Name the columns instead of *:\n" + string.Join('\n', offenders));
    }

    // SELECT * and RETURNING *, also t.* (count(*) is fine).
    [GeneratedRegex(@"\b(SELECT|RETURNING)\s+(DISTINCT\s+)?(\w+\.)?\*", RegexOptions.IgnoreCase)]
    private static partial Regex StarColumns();
}
