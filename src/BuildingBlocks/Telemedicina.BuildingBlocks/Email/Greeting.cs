namespace Telemedicina.BuildingBlocks.Email;

/// <summary>How a mail addresses its recipient.</summary>
public static class Greeting
{
    // Titles that come before a name: "Dra. Ana Souza" is greeted "Ana", not "Dra." (which read "Olá, Dra..").
    private static readonly HashSet<string> Titles = new(StringComparer.OrdinalIgnoreCase)
    {
        "dr", "dra", "doutor", "doutora", "sr", "sra", "srta", "prof", "profa", "professor", "professora",
    };

    /// <summary>The first name in <paramref name="fullName"/>, after any title; the full name when there is no other.</summary>
    public static string FirstName(string fullName)
    {
        ArgumentNullException.ThrowIfNull(fullName);
        var words = fullName.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return words.FirstOrDefault(w => !Titles.Contains(w.TrimEnd('.'))) ?? fullName.Trim();
    }
}
