using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Telemedicina.Audit.Contracts;
using Telemedicina.Audit.Endpoints;
using Telemedicina.Audit.Endpoints.Consents;
using Telemedicina.Audit.Endpoints.Incidents;
using Telemedicina.Audit.Endpoints.Privacy;
using Telemedicina.Audit.Infrastructure;
using Telemedicina.Audit.Privacy;
using Telemedicina.BuildingBlocks.Database;

namespace Telemedicina.Audit;

/// <summary>The Audit and LGPD module: audit trail, consents, data-subject rights.</summary>
public static class AuditModule
{
    public static ModuleMigrations Migrations { get; } = new("Audit", "audit", typeof(AuditModule).Assembly);

    public static IHostApplicationBuilder AddAuditModule(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<IAuditTrail, AuditTrail>();
        builder.Services.AddSingleton<ConsentRegistry>();
        builder.Services.AddSingleton<AuditVerifier>();
        builder.Services.AddSingleton<IConsentRegistry>(sp => sp.GetRequiredService<ConsentRegistry>());
        builder.Services.AddOptions<AuditSettings>().BindConfiguration(AuditSettings.Section)
            .Validate(s => s.Invalid() is null, "Privacy settings below the legal minimums or out of range (see AuditSettings).")
            .ValidateOnStart();
        builder.Services.AddSingleton<DataExports>();
        builder.Services.AddSingleton<ExportQueue>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ExportQueue>());
        builder.Services.AddSingleton<Erasures>();
        builder.Services.AddSingleton<AuditCheckpoints>();
        builder.Services.AddSingleton<IPrivacyJobs, PrivacyJobs>();
        builder.Services.AddSingleton<IPersonalDataHolder, AuditPersonalData>();
        return builder;
    }

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var privacy = app.MapGroup("/api/v1/privacy").WithTags("Privacy");
        privacy.MapConsents();
        privacy.MapAccessReport();
        privacy.MapDataSubjectRights();
        var admin = app.MapGroup("/api/v1/admin").WithTags("Audit (admin)").RequireAuthorization(Identity.Contracts.Policies.Admin);
        admin.MapAuditAdmin();
        admin.MapIncidents();
        return app;
    }

    /// <summary>The <c>audit verify</c> command: recomputes the chain; exit code 0 when intact, 3 when broken.</summary>
    public static async Task<int> VerifyCommandAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        var result = await services.GetRequiredService<AuditVerifier>().VerifyAsync(cancellationToken);
        await output.WriteLineAsync(result.Valid
            ? $"audit chain intact: {result.Checked} entries checked"
            : $"audit chain BROKEN at entry {result.FirstBrokenId} ({result.Reason}); {result.Checked} entries checked");
        return result.Valid ? 0 : 3;
    }
}
