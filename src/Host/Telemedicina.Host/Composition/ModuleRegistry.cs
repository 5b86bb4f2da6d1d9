using Telemedicina.Audit;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.Calls;
using Telemedicina.Identity;
using Telemedicina.Scheduling;

namespace Telemedicina.Host.Composition;

/// <summary>The modules of the monolith, in one place: registration, endpoints and schemas.</summary>
internal static class ModuleRegistry
{
    /// <summary>Schemas in the order they are migrated (Orleans first: the silo needs it to join).</summary>
    public static IReadOnlyList<ModuleMigrations> Migrations { get; } =
    [
        new ModuleMigrations("Orleans", "orleans", typeof(ModuleRegistry).Assembly),
        AuditModule.Migrations,
        IdentityModule.Migrations,
        SchedulingModule.Migrations,
    ];

    public static WebApplicationBuilder AddModules(this WebApplicationBuilder builder)
    {
        builder.AddAuditModule();
        builder.AddIdentityModule();
        builder.AddSchedulingModule();
        builder.AddCallsModule();
        return builder;
    }

    public static WebApplication MapModules(this WebApplication app)
    {
        app.MapIdentityEndpoints();
        app.MapSchedulingEndpoints();
        app.MapAuditEndpoints();
        app.MapCallsEndpoints();
        return app;
    }
}
