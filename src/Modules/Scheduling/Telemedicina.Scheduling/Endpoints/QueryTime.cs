using System.Globalization;

namespace Telemedicina.Scheduling.Endpoints;

/// <summary>Parses ISO 8601 instants from query strings (no offset = UTC).</summary>
internal static class QueryTime
{
    public static bool TryParse(string? value, out DateTimeOffset instant)
    {
        instant = default;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 40)
        {
            return false;
        }

        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant))
        {
            return false;
        }

        return instant.Year is >= 2000 and <= 2200;
    }
}
