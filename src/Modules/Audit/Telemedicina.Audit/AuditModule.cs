using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Telemedicina.Audit.Contracts;
using Telemedicina.Audit.Endpoints.Consents;
using Telemedicina.Audit.Infrastructure;
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
        builder.Services.AddSingleton<IConsentRegistry>(sp => sp.GetRequiredService<ConsentRegistry>());
        return builder;
    }

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var privacy = app.MapGroup("/api/v1/privacy").WithTags("Privacy");
        privacy.MapConsents();
        return app;
    }
}
