using Dapper;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Telemedicina.Identity.Contracts;
using Telemedicina.Identity.Domain;

namespace Telemedicina.Identity.Infrastructure;

/// <inheritdoc cref="IUserDirectory"/>
internal sealed class UserDirectory(IServiceScopeFactory scopes, NpgsqlDataSource dataSource, IOptions<IdentitySettings> settings) : IUserDirectory
{
    /// <summary>
    /// The directory's lookups by id (every booking asks for both parties, every slot listing for the doctor): the
    /// columns a summary needs and no more, read with Dapper, as are the names of <see cref="GetNamesAsync"/>. Through
    /// EF they loaded the whole account (password hash, security stamp, protected personal data) and paid EF's
    /// query-cache lookup, materializer and pooled context; in a profile of S4 that lookup was the booking's most
    /// expensive read.
    /// </summary>
    private const string SummarySql = """
        SELECT u.id AS Id, u.full_name AS FullName, u.role AS Role, u.status AS Status, u.email_confirmed AS EmailConfirmed,
               u.time_zone AS TimeZone, d.user_id IS NOT NULL AS IsDoctorProfile, d.specialty AS Specialty, d.verified_at AS VerifiedAt
          FROM identity.users u LEFT JOIN identity.doctor_profiles d ON d.user_id = u.id
         WHERE u.id = ANY(@ids)
        """;

    public async Task<UserSummary?> FindUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        var user = (await SummariesAsync([userId], cancellationToken)).FirstOrDefault();
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
        var doctor = (await SummariesAsync([doctorId], cancellationToken)).FirstOrDefault(IsDoctor);
        return doctor is null ? null : ToDoctor(doctor);
    }

    public async Task<(UserSummary? User, DoctorSummary? Doctor)> FindUserAndDoctorAsync(Guid userId, Guid doctorId, CancellationToken cancellationToken)
    {
        var rows = await SummariesAsync([userId, doctorId], cancellationToken);
        var user = rows.Find(u => u.Id == userId);
        var doctor = rows.Find(u => u.Id == doctorId && IsDoctor(u));
        return (
            user is null ? null : ToUser(user),
            doctor is null ? null : ToDoctor(doctor));
    }

    private async Task<List<SummaryRow>> SummariesAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<SummaryRow>(new CommandDefinition(SummarySql, new { ids }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    private static bool IsDoctor(SummaryRow row) => row.Role == Roles.Doctor && row.IsDoctorProfile;

    public async Task<IReadOnlyList<DoctorSummary>> SearchBookableDoctorsAsync(string? specialty, string? query, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var doctors = db.Users.AsNoTracking()
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

        // The summary's columns only, as the lookups by id read them.
        var list = await doctors.OrderBy(u => u.FullName).Take(200)
            .Select(u => new SummaryRow
            {
                Id = u.Id,
                FullName = u.FullName,
                Role = u.Role,
                Status = u.Status,
                EmailConfirmed = u.EmailConfirmed,
                TimeZone = u.TimeZone,
                IsDoctorProfile = true,
                Specialty = u.DoctorProfile!.Specialty,
                VerifiedAt = u.DoctorProfile.VerifiedAt,
            })
            .ToListAsync(cancellationToken);
        return list.Select(ToDoctor).ToList();
    }

    public async Task<UserContact?> FindContactAsync(Guid userId, CancellationToken cancellationToken)
    {
        // Each mail the notification outbox sends (two per booking) asks for its recipient: four columns, not the account.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // No row reads as the default tuple, whose e-mail is null: no contact either way.
        var user = await connection.QuerySingleOrDefaultAsync<(Guid Id, string? Email, string FullName, string? TimeZone)>(new CommandDefinition(
            "SELECT id, email, full_name, time_zone FROM identity.users WHERE id = @userId AND status <> @erased",
            new { userId, erased = nameof(AccountStatus.Erased) }, cancellationToken: cancellationToken));
        return user.Email is null ? null : new UserContact(user.Id, user.Email, user.FullName, user.TimeZone);
    }

    public async Task<IReadOnlyDictionary<Guid, string>> GetNamesAsync(IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken)
    {
        if (userIds.Count == 0)
        {
            return new Dictionary<Guid, string>();
        }

        // Every appointment list, the call request and the audit views ask: the two columns, not whole accounts.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(Guid Id, string FullName)>(new CommandDefinition(
            "SELECT id, full_name FROM identity.users WHERE id = ANY(@ids)", new { ids = userIds.Distinct().ToArray() }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id, r => r.FullName);
    }

    private UserSummary ToUser(SummaryRow user) => new(user.Id, user.FullName, user.Role, user.Status, Confirmed(user.EmailConfirmed), user.TimeZone);

    private DoctorSummary ToDoctor(SummaryRow user) =>
        new(user.Id, user.FullName, user.Specialty!, user.TimeZone ?? "America/Sao_Paulo",
            user.VerifiedAt is null && user.Status == AccountStatus.Active ? AccountStatus.PendingVerification : user.Status,
            Confirmed(user.EmailConfirmed));

    private bool Confirmed(bool emailConfirmed) => emailConfirmed || !settings.Value.RequireConfirmedEmail;

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    /// <summary>One row of <see cref="SummarySql"/>.</summary>
    private sealed class SummaryRow
    {
        public Guid Id { get; init; }

        public string FullName { get; init; } = "";

        public string Role { get; init; } = "";

        public AccountStatus Status { get; init; }

        public bool EmailConfirmed { get; init; }

        public string? TimeZone { get; init; }

        public bool IsDoctorProfile { get; init; }

        public string? Specialty { get; init; }

        public DateTimeOffset? VerifiedAt { get; init; }
    }
}
