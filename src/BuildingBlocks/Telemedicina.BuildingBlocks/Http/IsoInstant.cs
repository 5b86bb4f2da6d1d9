using System.Globalization;
using System.Text.RegularExpressions;

namespace Telemedicina.BuildingBlocks.Http;

/// <summary>
/// Instants as the API takes them: ISO 8601 only (<c>2026-12-07</c>, <c>2026-12-07T17:00</c>,
/// <c>2026-12-07T17:00:00.000Z</c>, <c>2026-12-07T14:00:00-03:00</c>); no offset means UTC. The framework's culture-aware
/// parsing also took <c>12/07/2026 17:00</c> and read it month first: a Brazilian's 12 July became 7 December.
/// </summary>
public static partial class IsoInstant
{
    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]{1,7})?)?(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    /// <summary>Parses an ISO 8601 date or date-time between the years 2000 and 2200, as UTC.</summary>
    public static bool TryParse(string? value, out DateTimeOffset instant)
    {
        instant = default;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 40 || !Shape().IsMatch(value))
        {
            return false;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant)
            && instant.Year is >= 2000 and <= 2200;
    }

    /// <summary>
    /// A date-time that says its offset (<c>Z</c> or <c>-03:00</c>), as <see cref="TryParse"/> reads it: for an instant a
    /// person chose, such as a consultation's start. Read as UTC, a São Paulo client's "14:00" without an offset booked
    /// 11:00 local time.
    /// </summary>
    public static bool TryParseWithOffset(string? value, out DateTimeOffset instant)
    {
        instant = default;
        return value is not null && WithOffset().IsMatch(value) && TryParse(value, out instant);
    }

    [GeneratedRegex("T[0-9:.]+(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex WithOffset();
}
