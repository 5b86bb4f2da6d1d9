using System.Reflection;
using Microsoft.AspNetCore.Identity;

namespace Telemedicina.Identity.Domain;

/// <summary>
/// Rejects the most common passwords (a list of well-known and Brazilian favourites, compared
/// case-insensitively and ignoring a trailing run of digits or symbols) and passwords built from the
/// account's own e-mail or name.
/// </summary>
internal sealed class PasswordPolicy : IPasswordValidator<AppUser>
{
    private static readonly Lazy<HashSet<string>> Common = new(Load);

    public Task<IdentityResult> ValidateAsync(UserManager<AppUser> manager, AppUser user, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return Task.FromResult(IdentityResult.Success);
        }

        if (IsCommon(password))
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordTooCommon",
                Description = "Esta senha é muito comum. Escolha outra, de preferência uma frase.",
            }));
        }

        if (ContainsPersonalData(password, user))
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordContainsPersonalData",
                Description = "A senha não pode conter seu e-mail ou seu nome.",
            }));
        }

        return Task.FromResult(IdentityResult.Success);
    }

    public static bool IsCommon(string password)
    {
        var lower = password.Trim().ToLowerInvariant();
        if (Common.Value.Contains(lower))
        {
            return true;
        }

        // "senha12345!" and "Password2026" are as weak as their stems.
        var stem = lower.TrimEnd("0123456789!@#$%&*._-?".ToCharArray());
        return stem.Length >= 4 && (Common.Value.Contains(stem) || stem.Distinct().Count() <= 2);
    }

    private static bool ContainsPersonalData(string password, AppUser user)
    {
        var lower = password.ToLowerInvariant();
        var local = user.Email?.Split('@')[0].ToLowerInvariant();
        if (local is { Length: >= 4 } && lower.Contains(local, StringComparison.Ordinal))
        {
            return true;
        }

        return user.FullName.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(part => part.Length >= 4)
            .Any(part => lower.Contains(part, StringComparison.Ordinal) && lower.Length - part.Length < 6);
    }

    private static HashSet<string> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Telemedicina.Identity.Domain.CommonPasswords.txt")
            ?? throw new InvalidOperationException("CommonPasswords.txt resource missing.");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                set.Add(line.Trim().ToLowerInvariant());
            }
        }

        return set;
    }
}

/// <summary>Identity's error messages in Brazilian Portuguese.</summary>
internal sealed class PortugueseIdentityErrors : IdentityErrorDescriber
{
    public override IdentityError PasswordTooShort(int length) =>
        new() { Code = nameof(PasswordTooShort), Description = $"A senha deve ter pelo menos {length} caracteres." };

    public override IdentityError PasswordRequiresUniqueChars(int uniqueChars) =>
        new() { Code = nameof(PasswordRequiresUniqueChars), Description = $"A senha deve ter pelo menos {uniqueChars} caracteres diferentes." };

    public override IdentityError DuplicateEmail(string email) =>
        new() { Code = nameof(DuplicateEmail), Description = "Já existe uma conta com este e-mail." };

    public override IdentityError DuplicateUserName(string userName) =>
        new() { Code = nameof(DuplicateUserName), Description = "Já existe uma conta com este e-mail." };

    public override IdentityError InvalidEmail(string? email) =>
        new() { Code = nameof(InvalidEmail), Description = "E-mail inválido." };

    public override IdentityError InvalidToken() =>
        new() { Code = nameof(InvalidToken), Description = "Link inválido ou expirado." };

    public override IdentityError PasswordMismatch() =>
        new() { Code = nameof(PasswordMismatch), Description = "Senha incorreta." };

    public override IdentityError RecoveryCodeRedemptionFailed() =>
        new() { Code = nameof(RecoveryCodeRedemptionFailed), Description = "Código de recuperação inválido." };
}
