using System.Text.RegularExpressions;

namespace Telemedicina.ClusterTests.Reliability;

/// <summary>
/// What an answer to bad input must never show a client: a stack trace, an exception type or a .NET
/// namespace, SQL or a database error, a server file path. The hub's framework envelope
/// ("... HubException: ...") is the one exception name a SignalR client is meant to see.
/// </summary>
internal static partial class Leaks
{
    /// <summary>The first leak in <paramref name="text"/>, described, or null when there is none.</summary>
    public static string? Find(string? text, bool hub = false)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var scanned = hub ? text.Replace("HubException", "", StringComparison.Ordinal) : text;
        foreach (var (name, pattern) in Patterns)
        {
            var match = pattern.Match(scanned);
            if (match.Success)
            {
                return $"{name}: \"{match.Value}\"";
            }
        }

        return null;
    }

    private static readonly (string Name, Regex Pattern)[] Patterns =
    [
        ("stack trace", StackFrame()),
        ("stack trace", new Regex("--- End of (inner exception )?stack trace", RegexOptions.CultureInvariant)),
        ("exception type", ExceptionType()),
        (".NET namespace", Namespace()),
        ("SQL", Sql()),
        ("database error", DatabaseError()),
        ("file path", FilePath()),
        ("file contents", new Regex("root:x?:0:0:", RegexOptions.CultureInvariant)),
    ];

    [GeneratedRegex(@"\bat [\w.`<>\[\]]+\.[\w`<>]+\(.*?\)", RegexOptions.CultureInvariant)]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"\b[A-Z][A-Za-z]*Exception\b", RegexOptions.CultureInvariant)]
    private static partial Regex ExceptionType();

    [GeneratedRegex(@"\b(System|Microsoft|Orleans|Npgsql|Dapper|DbUp|Telemedicina)\.[A-Z]\w+", RegexOptions.CultureInvariant)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"\b(SELECT\s.+?\sFROM|INSERT\s+INTO|UPDATE\s+\w+(\.\w+)?\s+SET|DELETE\s+FROM)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Sql();

    [GeneratedRegex(@"syntax error at or near|violates (unique|foreign key|check|exclusion|not-null) constraint|relation "".*"" does not exist|invalid input syntax for|\b(22P02|23505|23503|42P01|42601|40001): |PostgreSQL|SQLSTATE", RegexOptions.CultureInvariant)]
    private static partial Regex DatabaseError();

    [GeneratedRegex(@"(/work/|/root/|/home/|/tmp/|/usr/(share|lib)/|/src/(Host|Modules|Grains|BuildingBlocks)|\.cs:line \d+|[A-Z]:\\[\w\\]+|\.dll\b)", RegexOptions.CultureInvariant)]
    private static partial Regex FilePath();
}
