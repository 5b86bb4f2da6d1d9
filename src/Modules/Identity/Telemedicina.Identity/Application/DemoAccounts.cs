using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Telemedicina.Identity.Contracts;
using Telemedicina.Identity.Domain;

namespace Telemedicina.Identity.Application;

/// <summary>Ids of the demo accounts that <c>seed-demo</c> creates.</summary>
public sealed record DemoAccounts(Guid AdminId, Guid DoctorId, Guid PatientId);

/// <summary>Creates or refreshes the demo accounts (idempotent).</summary>
internal static class DemoAccountSeeder
{
    public const string Password = "Telemedicina!2026";
    public const string AdminTotpSecret = "JBSWY3DPEHPK3PXP";

    public static async Task<DemoAccounts> SeedAsync(IServiceProvider services, TimeProvider clock)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();

        var admin = await EnsureAsync(users, clock, "admin@telemedicina.local", "Administradora Demo", Roles.Admin, null);
        if (!admin.TwoFactorEnabled || await users.GetAuthenticatorKeyAsync(admin) != AdminTotpSecret)
        {
            await users.SetAuthenticationTokenAsync(admin, "[AspNetUserStore]", "AuthenticatorKey", AdminTotpSecret);
            await users.SetTwoFactorEnabledAsync(admin, true);
        }

        var doctor = await EnsureAsync(users, clock, "medica@telemedicina.local", "Dra. Ana Souza", Roles.Doctor,
            new DoctorProfile { Crm = "123456", CrmState = "SP", Specialty = "Clínica Médica", VerifiedAt = clock.GetUtcNow() });
        var patient = await EnsureAsync(users, clock, "paciente@telemedicina.local", "João Pereira", Roles.Patient, null);
        return new DemoAccounts(admin.Id, doctor.Id, patient.Id);
    }

    private static async Task<AppUser> EnsureAsync(UserManager<AppUser> users, TimeProvider clock, string email, string name, string role, DoctorProfile? doctor)
    {
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            user = new AppUser
            {
                Id = Guid.CreateVersion7(),
                Email = email,
                UserName = email,
                EmailConfirmed = true,
                FullName = name,
                Role = role,
                Status = AccountStatus.Active,
                TimeZone = "America/Sao_Paulo",
                CreatedAt = clock.GetUtcNow(),
                LockoutEnabled = true,
                DoctorProfile = doctor,
            };
            Check(await users.CreateAsync(user, Password));
            Check(await users.AddToRoleAsync(user, role));
        }

        return user;
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Demo seed failed: " + string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}
