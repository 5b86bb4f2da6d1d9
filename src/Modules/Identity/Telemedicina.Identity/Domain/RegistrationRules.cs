using System.Net.Mail;
using System.Text.RegularExpressions;

namespace Telemedicina.Identity.Domain;

/// <summary>Format rules for registration fields (pure functions, unit-tested).</summary>
internal static partial class RegistrationRules
{
    /// <summary>The 27 Brazilian federative units, where a CRM is registered.</summary>
    public static readonly IReadOnlySet<string> States = new HashSet<string>(StringComparer.Ordinal)
    {
        "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR",
        "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
    };

    public static bool IsEmail(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 254 || value.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }

        return MailAddress.TryCreate(value, out var address) && string.Equals(address.Address, value, StringComparison.Ordinal) && value.Contains('.', StringComparison.Ordinal);
    }

    /// <summary>CRM number: 1 to 7 digits (leading zeros ignored), not all zeros.</summary>
    public static bool IsCrm(string? value) => value is not null && CrmPattern().IsMatch(value) && value.TrimStart('0').Length > 0;

    public static bool IsState(string? value) => value is not null && States.Contains(value);

    /// <summary>An IANA time zone this machine knows.</summary>
    public static bool IsTimeZone(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= 64 && TimeZoneInfo.TryFindSystemTimeZoneById(value, out var zone) && zone.HasIanaId;

    /// <summary>Phone: optional +, then 10 to 15 digits once spaces, dashes and parentheses are removed.</summary>
    public static string? NormalizePhone(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 32)
        {
            return null;
        }

        var digits = new string(value.Where(char.IsAsciiDigit).ToArray());
        var rest = value.Where(c => !char.IsAsciiDigit(c) && c is not (' ' or '-' or '(' or ')' or '+')).Any();
        return !rest && digits.Length is >= 10 and <= 15 ? "+" + digits : null;
    }

    public static bool IsBirthDate(DateOnly date, DateOnly today) => date <= today && date >= today.AddYears(-130);

    [GeneratedRegex("^[0-9]{1,7}$", RegexOptions.CultureInvariant)]
    private static partial Regex CrmPattern();
}
