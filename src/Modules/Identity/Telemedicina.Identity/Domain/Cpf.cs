namespace Telemedicina.Identity.Domain;

/// <summary>Brazilian CPF: 11 digits whose last two are check digits (mod 11).</summary>
internal static class Cpf
{
    /// <summary>The 11 digits of a valid CPF (punctuation allowed in input), or null.</summary>
    public static string? Normalize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 20)
        {
            return null;
        }

        if (value.Any(c => !char.IsAsciiDigit(c) && c is not ('.' or '-' or ' ')))
        {
            return null;
        }

        var digits = value.Where(char.IsAsciiDigit).Select(c => c - '0').ToArray();
        if (digits.Length != 11 || digits.All(d => d == digits[0]))
        {
            return null;
        }

        return CheckDigit(digits, 9) == digits[9] && CheckDigit(digits, 10) == digits[10]
            ? string.Concat(digits)
            : null;
    }

    private static int CheckDigit(int[] digits, int count)
    {
        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += digits[i] * (count + 1 - i);
        }

        var remainder = sum * 10 % 11;
        return remainder == 10 ? 0 : remainder;
    }
}
