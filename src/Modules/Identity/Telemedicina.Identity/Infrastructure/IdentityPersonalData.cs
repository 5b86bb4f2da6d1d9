using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Storage;
using Telemedicina.Identity.Endpoints.Files;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Identity.Infrastructure;

/// <summary>The account and profile: exported decrypted; erased by anonymizing every direct identifier.</summary>
internal sealed class IdentityPersonalData(
    IServiceScopeFactory scopes, PersonalDataProtector personalData, NpgsqlDataSource dataSource, IFileStore files, TimeProvider clock,
    Application.AccessRevocations revocations) : IPersonalDataHolder
{
    public const string ErasedName = "Titular anonimizado";

    public string Category => "profile";

    // Last: the other modules may still look the account up while they erase.
    public int ErasureOrder => 100;

    public async Task<object?> ExportAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var user = await db.Users.AsNoTracking().Include(u => u.DoctorProfile).SingleOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
        {
            return null;
        }

        var sessions = await db.RefreshTokens.AsNoTracking().Where(t => t.UserId == userId).OrderBy(t => t.CreatedAt)
            .Select(t => new { t.CreatedAt, t.ExpiresAt, t.UsedAt, t.RevokedAt, t.RevokedReason, TwoFactor = t.Mfa })
            .ToListAsync(cancellationToken);
        var avatar = await files.OpenReadAsync(FilesEndpoints.AvatarKey(userId), cancellationToken);
        var hasAvatar = avatar is not null;
        if (avatar is not null)
        {
            await avatar.DisposeAsync();
        }

        return new
        {
            user.Id,
            user.FullName,
            user.Email,
            user.EmailConfirmed,
            user.Role,
            // The API's spelling ("active", "pendingVerification"): the bundle's serializer writes enums in camelCase.
            user.Status,
            user.TimeZone,
            Phone = personalData.Unprotect(user.PhoneProtected),
            BirthDate = personalData.Unprotect(user.BirthDateProtected),
            Cpf = personalData.Unprotect(user.CpfProtected),
            user.TwoFactorEnabled,
            user.CreatedAt,
            Doctor = user.DoctorProfile is { } d ? new { d.Crm, d.CrmState, d.Specialty, d.VerifiedAt } : null,
            Sessions = sessions,
            HasAvatar = hasAvatar,
            CredentialDocuments = user.Role == Roles.Doctor ? await FilesEndpoints.ListAsync(dataSource, userId, cancellationToken) : null,
        };
    }

    public async Task<ErasureOutcome> EraseAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var user = await db.Users.Include(u => u.DoctorProfile).SingleOrDefaultAsync(u => u.Id == userId, cancellationToken)
            ?? throw new InvalidOperationException("Unknown account.");
        var isDoctor = user.Role == Roles.Doctor;
        var placeholder = $"anonimizado-{user.Id:N}@anonimizado.invalid";
        if (!isDoctor)
        {
            user.FullName = ErasedName;
        }

        user.Email = user.UserName = placeholder;
        user.NormalizedEmail = user.NormalizedUserName = placeholder.ToUpperInvariant();
        user.EmailConfirmed = false;
        user.PasswordHash = null;
        user.SecurityStamp = Guid.NewGuid().ToString("N");
        user.PhoneNumber = null;
        user.PhoneProtected = null;
        user.BirthDateProtected = null;
        user.CpfProtected = null;
        user.CpfHash = null;
        user.TimeZone = null;
        user.TwoFactorEnabled = false;
        user.LockoutEnabled = true;
        user.LockoutEnd = DateTimeOffset.MaxValue;
        user.Status = AccountStatus.Erased;
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await db.UserTokens.Where(t => t.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await db.UserLogins.Where(t => t.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await db.UserClaims.Where(t => t.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await db.RefreshTokens.Where(t => t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now).SetProperty(t => t.RevokedReason, "erasure"), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        await using (var revoking = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            // The tokens the erased account still holds stop at once, not when they expire.
            await revocations.RevokeAsync(userId, revoking);
        }

        // Files: the photo and the credential documents (their only purpose, verification, is over).
        await files.DeleteAsync(FilesEndpoints.AvatarKey(userId), cancellationToken);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            foreach (var key in await connection.QueryAsync<string>("SELECT file_key FROM identity.doctor_documents WHERE doctor_id = @userId", new { userId }))
            {
                await files.DeleteAsync(key, cancellationToken);
            }

            await connection.ExecuteAsync("DELETE FROM identity.doctor_documents WHERE doctor_id = @userId", new { userId });
        }

        List<string> anonymized = ["e-mail", "senha", "telefone", "data de nascimento", "CPF", "fuso horário", "autenticação em dois fatores", "sessões", "foto", "documentos de credenciamento"];
        List<RetainedData> retained =
        [
            new("identificador interno da conta (sem dados pessoais)", "liga os registros de atendimento e a trilha de auditoria que a lei manda guardar", "enquanto esses registros existirem"),
        ];
        if (isDoctor)
        {
            retained.Add(new("nome, CRM, UF e especialidade do médico", "identificação obrigatória do profissional no prontuário (Res. CFM 1.821/2007, Lei 13.787/2018)", "20 anos"));
        }
        else
        {
            anonymized.Insert(0, "nome");
        }

        return new ErasureOutcome(Category, anonymized, retained);
    }
}
