using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Telemedicina.Identity.Domain;

namespace Telemedicina.Identity.Infrastructure;

/// <summary>The Identity module's schema (<c>identity</c>): ASP.NET Core Identity stores, tokens and keys.</summary>
/// <remarks>The schema itself is created by the module's SQL migrations (DbUp), not by EF migrations.</remarks>
internal sealed class IdentityDb(DbContextOptions<IdentityDb> options)
    : IdentityDbContext<AppUser, AppRole, Guid>(options), IDataProtectionKeyContext
{
    public const string Schema = "identity";

    public DbSet<DoctorProfile> DoctorProfiles => Set<DoctorProfile>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.HasDefaultSchema(Schema);

        builder.Entity<AppUser>(user =>
        {
            user.ToTable("users");
            user.Property(u => u.FullName).HasMaxLength(200);
            user.Property(u => u.Role).HasMaxLength(16);
            user.Property(u => u.Status).HasConversion<string>().HasMaxLength(32);
            user.Property(u => u.TimeZone).HasMaxLength(64);
            user.HasOne(u => u.DoctorProfile).WithOne().HasForeignKey<DoctorProfile>(d => d.UserId).OnDelete(DeleteBehavior.Cascade);
            user.HasIndex(u => u.Role);
            user.HasIndex(u => u.CpfHash).IsUnique();
            // Written only by TwoFactor's atomic conditional UPDATE; EF must never write back a stale value.
            user.Property(u => u.TotpLastStep).Metadata.SetAfterSaveBehavior(Microsoft.EntityFrameworkCore.Metadata.PropertySaveBehavior.Ignore);
        });
        builder.Entity<AppRole>().ToTable("roles");
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserRole<Guid>>().ToTable("user_roles");
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityRoleClaim<Guid>>().ToTable("role_claims");

        builder.Entity<DoctorProfile>(doctor =>
        {
            doctor.ToTable("doctor_profiles");
            doctor.HasKey(d => d.UserId);
            doctor.Property(d => d.Crm).HasMaxLength(16);
            doctor.Property(d => d.CrmState).HasMaxLength(2);
            doctor.Property(d => d.Specialty).HasMaxLength(100);
            doctor.HasIndex(d => new { d.Crm, d.CrmState }).IsUnique();
        });

        builder.Entity<RefreshToken>(token =>
        {
            token.ToTable("refresh_tokens");
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.HasIndex(t => t.FamilyId);
            token.Property(t => t.RevokedReason).HasMaxLength(64);
        });

        builder.Entity<SigningKey>(key =>
        {
            key.ToTable("signing_keys");
            key.HasKey(k => k.Id);
            key.Property(k => k.Id).HasMaxLength(64);
            key.Property(k => k.Algorithm).HasMaxLength(16);
            key.HasIndex(k => k.Generation).IsUnique();
        });

        builder.Entity<DataProtectionKey>().ToTable("data_protection_keys");
    }
}
