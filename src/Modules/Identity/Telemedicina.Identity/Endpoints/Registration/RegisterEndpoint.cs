using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Application;
using Telemedicina.Identity.Contracts;
using Telemedicina.Identity.Domain;
using Telemedicina.Identity.Infrastructure;

namespace Telemedicina.Identity.Endpoints.Registration;

internal sealed record RegisterRequest(
    string? Email,
    string? Password,
    string? FullName,
    string? Role,
    string? Phone,
    string? BirthDate,
    string? Cpf,
    string? Crm,
    string? CrmState,
    string? Specialty,
    string? TimeZone);

internal sealed record RegisterResponse(Guid UserId, AccountStatus Status);

internal static class RegisterEndpoint
{
    public static void MapRegister(this RouteGroupBuilder group) =>
        group.MapPost("/register", HandleAsync).AllowAnonymous().RequireRateLimiting(IdentityModule.RegisterRateLimit)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Created<RegisterResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        RegisterRequest request,
        UserManager<AppUser> users,
        PersonalDataProtector personalData,
        KeyedHasher hasher,
        AccountEmails emails,
        IAuditTrail audit,
        TimeProvider clock,
        CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var validation = new Validation()
            .Require(RegistrationRules.IsEmail(request.Email), "email", "Informe um e-mail válido.")
            .RequireText(request.FullName, "fullName", 200, "Nome completo")
            .Require(request.FullName is null || request.FullName.Trim().Length >= 3, "fullName", "Nome completo deve ter ao menos 3 caracteres.")
            .Require(request.Role is Roles.Patient or Roles.Doctor, "role", "Perfil deve ser 'patient' ou 'doctor'.")
            .Require(request.Password is { Length: > 0 and <= 256 }, "password", "Informe uma senha de até 256 caracteres.")
            .Require(request.TimeZone is null || RegistrationRules.IsTimeZone(request.TimeZone), "timeZone", "Fuso horário IANA desconhecido.");

        string? phone = null;
        if (request.Phone is not null)
        {
            phone = RegistrationRules.NormalizePhone(request.Phone);
            validation.Require(phone is not null, "phone", "Telefone inválido.");
        }

        DateOnly? birthDate = null;
        if (request.BirthDate is not null)
        {
            var parsed = DateOnly.TryParseExact(request.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date);
            validation.Require(parsed, "birthDate", "Data de nascimento inválida (AAAA-MM-DD).");
            validation.Require(!parsed || RegistrationRules.IsBirthDate(date, today), "birthDate", "A data de nascimento não pode estar no futuro nem passar de 130 anos.");
            birthDate = parsed ? date : null;
        }

        string? cpf = null;
        if (request.Cpf is not null)
        {
            cpf = Cpf.Normalize(request.Cpf);
            validation.Require(cpf is not null, "cpf", "CPF inválido.");
        }

        var isDoctor = request.Role == Roles.Doctor;
        if (isDoctor)
        {
            validation
                .Require(RegistrationRules.IsCrm(request.Crm), "crm", "CRM deve ter de 1 a 7 dígitos.")
                .Require(RegistrationRules.IsState(request.CrmState), "crmState", "UF do CRM inválida.")
                .RequireText(request.Specialty, "specialty", 100, "Especialidade");
        }

        if (!validation.IsValid)
        {
            return Problems.Validation(validation.ToDictionary());
        }

        var user = new AppUser
        {
            Id = Guid.CreateVersion7(),
            Email = request.Email!.Trim(),
            UserName = request.Email!.Trim(),
            FullName = request.FullName!.Trim(),
            Role = request.Role!,
            Status = isDoctor ? AccountStatus.PendingVerification : AccountStatus.Active,
            TimeZone = request.TimeZone ?? "America/Sao_Paulo",
            PhoneProtected = personalData.Protect(phone),
            BirthDateProtected = personalData.Protect(birthDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            CpfProtected = personalData.Protect(cpf),
            CpfHash = cpf is null ? null : await hasher.HashAsync(cpf, ct),
            CreatedAt = clock.GetUtcNow(),
            LockoutEnabled = true,
            DoctorProfile = isDoctor
                ? new DoctorProfile { Crm = request.Crm!.TrimStart('0'), CrmState = request.CrmState!, Specialty = request.Specialty!.Trim() }
                : null,
        };

        IdentityResult result;
        try
        {
            result = await users.CreateAsync(user, request.Password!);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique)
        {
            return unique.ConstraintName switch
            {
                "ix_doctor_profiles_crm_crm_state" => Problems.Conflict("Este CRM já está cadastrado."),
                "ix_users_cpf_hash" => Problems.Conflict("Este CPF já está cadastrado."),
                _ => Problems.Conflict("Já existe uma conta com este e-mail."),
            };
        }

        if (!result.Succeeded)
        {
            if (result.Errors.Any(e => e.Code is nameof(IdentityErrorDescriber.DuplicateEmail) or nameof(IdentityErrorDescriber.DuplicateUserName)))
            {
                return Problems.Conflict("Já existe uma conta com este e-mail.");
            }

            var errors = new Validation();
            foreach (var error in result.Errors)
            {
                errors.Add(error.Code.StartsWith("Password", StringComparison.Ordinal) ? "password" : "email", error.Description);
            }

            return Problems.Validation(errors.ToDictionary());
        }

        await users.AddToRoleAsync(user, user.Role);
        await emails.SendConfirmationAsync(user, await users.GenerateEmailConfirmationTokenAsync(user), ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Create, "User", user.Id.ToString(), user.Id, user.Role, user.Id), ct);
        return TypedResults.Created($"/api/v1/identity/me", new RegisterResponse(user.Id, user.Status));
    }
}
