using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Telemedicina.Identity.Contracts;
using Telemedicina.Identity.Domain;

namespace Telemedicina.Identity.Infrastructure;

/// <inheritdoc cref="IUserDirectory"/>
internal sealed class UserDirectory(IServiceScopeFactory scopes, IOptions<IdentitySettings> settings) : IUserDirectory
{
    public async Task<UserSummary?> FindUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, cancellationToken);
        return user is null ? null : ToUser(user);
    }

    public async Task<bool> CheckPasswordAsync(Guid userId, string password, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.FindByIdAsync(userId.ToString());
        if (user is null || user.Status == AccountStatus.Erased || await users.IsLockedOutAsync(user))
        {
            return false;
        }

        if (await users.CheckPasswordAsync(user, password))
        {
            await users.ResetAccessFailedCountAsync(user);
            return true;
        }

        await users.AccessFailedAsync(user);
        return false;
    }

    public async Task<DoctorSummary?> FindDoctorAsync(Guid doctorId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var user = await db.Users.AsNoTracking().Include(u => u.DoctorProfile)
            .SingleOrDefaultAsync(u => u.Id == doctorId && u.Role == Roles.Doctor, cancellationToken);
        return user?.DoctorProfile is null ? null : ToDoctor(user);
    }

    public async Task<(UserSummary? User, DoctorSummary? Doctor)> FindUserAndDoctorAsync(Guid userId, Guid doctorId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var users = await db.Users.AsNoTracking().Include(u => u.DoctorProfile)
            .Where(u => u.Id == userId || u.Id == doctorId).ToListAsync(cancellationToken);
        var user = users.Find(u => u.Id == userId);
        var doctor = users.Find(u => u.Id == doctorId && u.Role == Roles.Doctor && u.DoctorProfile is not null);
        return (
            user is null ? null : ToUser(user),
            doctor is null ? null : ToDoctor(doctor));
    }

    public async Task<IReadOnlyList<DoctorSummary>> SearchBookableDoctorsAsync(string? specialty, string? query, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var doctors = db.Users.AsNoTracking().Include(u => u.DoctorProfile)
            .Where(u => u.Role == Roles.Doctor && u.Status == AccountStatus.Active && u.DoctorProfile!.VerifiedAt != null);
        if (settings.Value.RequireConfirmedEmail)
        {
            doctors = doctors.Where(u => u.EmailConfirmed);
        }

        if (!string.IsNullOrWhiteSpace(specialty))
        {
            var exact = Escape(specialty.Trim());
            doctors = doctors.Where(u => EF.Functions.ILike(EF.Functions.Unaccent(u.DoctorProfile!.Specialty), EF.Functions.Unaccent(exact)));
        }

        if (!string.IsNullOrWhiteSpace(query))
        {
            var pattern = "%" + Escape(query.Trim()) + "%";
            // Accents ignored, as people type them ("clinica" finds "Clínica Médica").
            doctors = doctors.Where(u => EF.Functions.ILike(EF.Functions.Unaccent(u.FullName), EF.Functions.Unaccent(pattern))
                || EF.Functions.ILike(EF.Functions.Unaccent(u.DoctorProfile!.Specialty), EF.Functions.Unaccent(pattern)));
        }

        var list = await doctors.OrderBy(u => u.FullName).Take(200).ToListAsync(cancellationToken);
        return list.Select(ToDoctor).ToList();
    }

    public async Task<UserContact?> FindContactAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId && u.Status != AccountStatus.Erased, cancellationToken);
        return user?.Email is null ? null : new UserContact(user.Id, user.Email, user.FullName, user.TimeZone);
    }

    public async Task<IReadOnlyDictionary<Guid, string>> GetNamesAsync(IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken)
    {
        if (userIds.Count == 0)
        {
            return new Dictionary<Guid, string>();
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var ids = userIds.Distinct().ToList();
        return await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.FullName, cancellationToken);
    }

    private UserSummary ToUser(AppUser user) => new(user.Id, user.FullName, user.Role, user.Status, Confirmed(user), user.TimeZone);

    private DoctorSummary ToDoctor(AppUser user) =>
        new(user.Id, user.FullName, user.DoctorProfile!.Specialty, user.TimeZone ?? "America/Sao_Paulo",
            user.DoctorProfile.VerifiedAt is null && user.Status == AccountStatus.Active ? AccountStatus.PendingVerification : user.Status,
            Confirmed(user));

    private bool Confirmed(AppUser user) => user.EmailConfirmed || !settings.Value.RequireConfirmedEmail;

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
