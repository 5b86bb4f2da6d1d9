using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Calls.Delivery;
using Telemedicina.Calls.Endpoints;
using Telemedicina.Calls.Hub;
using Telemedicina.Calls.Infrastructure;

namespace Telemedicina.Calls;

/// <summary>The Calls module: the call HTTP API, the consultation hub and this silo's delivery observer.</summary>
public static class CallsModule
{
    public const string CallRequestRateLimit = "calls-request";
    public const string HubPath = "/hubs/consultation";

    public static IHostApplicationBuilder AddCallsModule(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<CallsSettings>(builder.Configuration.GetSection(CallsSettings.Section));
        builder.Services.Configure<TurnSettings>(builder.Configuration.GetSection(TurnSettings.Section));
        builder.Services.AddSingleton<IceServers>();
        builder.Services.AddSingleton<Telemedicina.Audit.Contracts.IPersonalDataHolder, CallsPersonalData>();
        builder.Services.AddSingleton<Telemedicina.Audit.Contracts.IConsentChangeHandler, ConsentWithdrawals>();
        builder.Services.AddSingleton<SiloDelivery>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SiloDelivery>());
        builder.Services.AddSingleton<Telemedicina.Grains.Abstractions.ILocalDelivery>(sp => sp.GetRequiredService<SiloDelivery>());
        builder.Services.AddSingleton<LocalConnections>();
        builder.Services.AddHostedService<EndedSessions>();
        builder.Services.AddSingleton<HubErrorLogging>();
        builder.Services.AddSignalR().AddHubOptions<ConsultationHub>(o => o.AddFilter<HubErrorLogging>()).AddPlainHubErrors();
        builder.Services.AddSingleton<MembershipRefresh>();
        builder.Services.AddSingleton<MembershipRecovery>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MembershipRecovery>());

        var permits = builder.Configuration.GetValue("RateLimits:CallRequest:PermitPerMinute", 30);
        builder.Services.AddRateLimiter(options => options.AddPolicy(CallRequestRateLimit, context =>
            RateLimitPartition.GetFixedWindowLimiter(
                context.User.FindId()?.ToString() ?? context.ClientIp() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })));
        return builder;
    }

    public static IEndpointRouteBuilder MapCallsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/calls").WithTags("Calls").MapCalls();
        app.MapGroup("/api/v1/admin/calls").WithTags("Calls (admin)").MapCallsAdmin();
        app.MapHub<ConsultationHub>(HubPath, options => options.Transports = HttpTransportType.WebSockets | HttpTransportType.LongPolling);
        return app;
    }
}
