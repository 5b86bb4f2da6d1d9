using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.HttpOverrides;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Configuration;
using Orleans.Dashboard;
using Telemedicina.BuildingBlocks;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.BuildingBlocks.Email;
using Telemedicina.BuildingBlocks.Storage;
using Telemedicina.Grains;
using Telemedicina.Host.Health;
using Telemedicina.Host.Ops;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Host.Composition;

/// <summary>The composition root: everything a silo process is made of, in one readable place.</summary>
internal static class HostComposition
{

    /// <summary>The database connection string, with the pool bounded unless it sizes its own (<see cref="ConnectionPool"/>).</summary>
    public static string ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Postgres") is { Length: > 0 } value
            ? ConnectionPool.WithDefaults(value)
            : throw new InvalidOperationException("ConnectionStrings:Postgres is not set (environment variable ConnectionStrings__Postgres).");

    public static WebApplicationBuilder AddTelemedicina(this WebApplicationBuilder builder)
    {
        DapperSetup.Configure();
        var configuration = builder.Configuration;
        var orleans = configuration.GetSection(OrleansSettings.Section).Get<OrleansSettings>() ?? new OrleansSettings();
        var connectionString = ConnectionString(configuration);
        var nodeName = configuration["Node:Name"] ?? $"{Environment.MachineName}:{orleans.SiloPort}";

        // Kestrel answers /health while the silo is still joining (readiness says 503 meanwhile).
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ServicesStartConcurrently = true;
            o.ServicesStopConcurrently = false;
            o.ShutdownTimeout = TimeSpan.FromSeconds(45);
        });

        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.IncludeScopes = false;
            });
        }

        // No "Server: Kestrel" on responses: the stack is nobody's business.
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new NodeInfo(nodeName));
        builder.Services.AddSingleton(_ =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(connectionString) { Name = "telemedicina" };
            return dataSource.Build();
        });

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            ConfigureJson(o.SerializerOptions);
            o.SerializerOptions.Converters.Add(new NoNulStrings());
        });
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.Remove("exception");
            context.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Detail ??= ProblemJsonFallbackWriter.DefaultDetail(status);
            context.ProblemDetails.Title = ProblemJsonFallbackWriter.PortugueseTitle(status, context.ProblemDetails.Title);
            if (status == StatusCodes.Status429TooManyRequests && !context.HttpContext.Response.Headers.ContainsKey("Retry-After"))
            {
                // A limit an endpoint enforces itself (per account, per day): the rate limiter's own say when (below).
                context.HttpContext.Response.Headers.RetryAfter = "60";
            }
        });
        builder.Services.AddSingleton<IProblemDetailsWriter, ProblemJsonFallbackWriter>();
        builder.Services.AddExceptionHandler<ErrorHandling>();
        // A request the endpoint cannot bind (a JSON field of the wrong type, a missing Content-Type) throws in every
        // environment, not only in Development, so ErrorHandling answers it the same way everywhere and names the
        // field; otherwise Production answered a bare English "Bad Request".
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var network in configuration.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [])
            {
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, ct) =>
            {
                // When to try again (RFC 9110 §10.2.3), in whole seconds, as the limiter's window knows it.
                var retryAfter = context.Lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(Math.Max(1, retryAfter.TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Type = "https://telemedicina.local/problems/too-many-requests",
                        Title = "Muitas tentativas",
                        Detail = "Muitas requisições em pouco tempo. Aguarde um minuto e tente de novo.",
                    },
                });
            };
        });

        builder.Services.AddSignalR(o =>
            {
                // An SDP offer with many candidates can exceed the 32 KB default. The hub caps payloads at 64 KiB of UTF-8
                // and answers a larger one with a HubException; a frame over this limit instead closes the connection
                // (SignalR's protocol limit). The JSON of a 64 KiB payload can take three times that, as JSON may
                // escape a non-ASCII character as \uXXXX (6 bytes for a 2-byte é). With 96 KiB, 33,000 "€" (under the
                // hub's old character count) dropped the sender from the call instead of being refused.
                o.MaximumReceiveMessageSize = 200 * 1024;
                o.MaximumParallelInvocationsPerClient = 1;
                o.EnableDetailedErrors = false;
                o.KeepAliveInterval = TimeSpan.FromSeconds(15);
                o.ClientTimeoutInterval = TimeSpan.FromSeconds(30);
            })
            .AddJsonProtocol(o => ConfigureJson(o.PayloadSerializerOptions));

        builder.Services.AddEmail(configuration);
        builder.Services.AddFileStore(configuration);
        builder.AddModules();
        builder.Services.AddSingleton<Telemedicina.Grains.DeliveryRouter>();
        var replayBudgetMiB = configuration.GetValue(ReplayBudget.Key, ReplayBudget.DefaultMiB);
        if (replayBudgetMiB < 1)
        {
            throw new InvalidOperationException($"{ReplayBudget.Key} must be at least 1 (MiB); it is {replayBudgetMiB}.");
        }

        builder.Services.AddSingleton(sp => new ReplayBudget(replayBudgetMiB * 1024L * 1024, sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, MigrationParticipant>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, JobsStarter>();
        var jobInterval = configuration.GetValue("Scheduling:JobInterval", TimeSpan.FromMinutes(1));

        builder.UseOrleans(silo =>
        {
            var orleansConnection = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = "orleans" }.ConnectionString;
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = orleans.ClusterId;
                o.ServiceId = orleans.ServiceId;
            });
            silo.ConfigureEndpoints(IPAddress.Parse(orleans.AdvertisedIPAddress), orleans.SiloPort, orleans.GatewayPort, listenOnAnyHostAddress: true);
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = orleansConnection;
            });
            silo.AddAdoNetGrainStorage(GrainStorage.Calls, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = orleansConnection;
            });
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = orleansConnection;
            });
            // Idle-activation collection (CollectionAge, CollectionQuantum) can be tuned under Orleans:GrainCollection.
            silo.Services.Configure<GrainCollectionOptions>(configuration.GetSection("Orleans:GrainCollection"));
            ConfigureDirectoryCache(silo.Services, configuration);
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = jobInterval < o.MinimumReminderPeriod ? jobInterval : o.MinimumReminderPeriod);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = orleans.ProbeTimeout;
                o.NumMissedProbesLimit = orleans.NumMissedProbesLimit;
                o.IAmAliveTablePublishTimeout = orleans.IAmAliveTablePublishTimeout;
                o.TableRefreshTimeout = orleans.TableRefreshTimeout;
            });
            silo.AddActivityPropagation();
            // The dashboard samples every silo's counters through the management grain: once a second (its default)
            // that was 5.5 % of a loaded silo's CPU (stop-18 profile). Five seconds keeps it useful for a glance; the
            // detailed metrics go through OpenTelemetry.
            silo.AddDashboard(o => o.CounterUpdateIntervalMs = configuration.GetValue("Orleans:Dashboard:CounterUpdateIntervalMs", 5000));
            if (!StartWhenSiloActive.Defer(silo.Services, "DashboardHost"))
            {
                throw new InvalidOperationException("The Orleans dashboard no longer registers DashboardHost: see StartWhenSiloActive.");
            }

            silo.AddFaultInjection(configuration, builder.Environment);
        });

        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<SiloActiveHealthCheck>("cluster", tags: [HealthEndpoints.ReadyTag]);

        builder.Services.AddOpenApi(o => o.AddOperationTransformer<OpenApiErrorResponses>());
        // OpenTelemetry runs when it has somewhere to send (OTEL_EXPORTER_OTLP_ENDPOINT; deploy/ points it at the
        // ADOT collector and samples traces with OTEL_TRACES_SAMPLER). Without an exporter it still made, tagged and
        // dropped an Activity for every grain call and hub invocation: 10–15 % of a silo's CPU when relaying signals
        // (bench profile, issue 8).
        if (string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("telemedicina", serviceInstanceId: nodeName))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Microsoft.AspNetCore.SignalR.Server"))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Microsoft.Orleans", "Telemedicina.Calls", "Telemedicina.Identity", "Npgsql", "Microsoft.AspNetCore.Http.Connections", "Microsoft.AspNetCore.SignalR.Server"))
            .UseOtlpExporter();
        return builder;
    }

    /// <summary>Addresses of other silos' grains a silo remembers, unless <c>Orleans:DirectoryCache:CacheSize</c> says otherwise.</summary>
    internal const int DirectoryCacheSize = 100_000;

    /// <summary>
    /// The cache of the grain addresses a silo calls. Orleans sizes it for a million: its dictionary is made that large
    /// at start (about 18 MB of each silo's heap, which every full GC walks), and the dashboard's metrics count it by
    /// walking every bucket once a second (1.4 % of a silo's CPU relaying signals, S1 profile at 400 rooms). A silo here
    /// calls tens of thousands of grains at most (the presence of its up to ~20,000 connections, their rooms, the
    /// doctors' calendars); a miss costs one directory lookup. <c>Orleans:DirectoryCache</c> binds the other cache settings
    /// of <see cref="GrainDirectoryOptions"/> too (not <c>Orleans:GrainDirectory</c>: Orleans reads that section's children
    /// as named grain-directory providers).
    /// </summary>
    internal static void ConfigureDirectoryCache(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<GrainDirectoryOptions>(o => o.CacheSize = DirectoryCacheSize);
        services.Configure<GrainDirectoryOptions>(configuration.GetSection("Orleans:DirectoryCache"));
    }

    public static WebApplication UseTelemedicina(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseDrainingGate();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        var web = app.Configuration.GetSection(WebSettings.Section).Get<WebSettings>() ?? new WebSettings();
        app.UseSecurityHeaders(app.Services.GetRequiredService<NodeInfo>().Name, web.AssetsOrigin());
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                // Vite names bundles by content hash: cache them for a year; never cache index.html.
                context.Context.Response.Headers.CacheControl = context.Context.Request.Path.StartsWithSegments("/assets", StringComparison.Ordinal)
                    ? "public, max-age=31536000, immutable"
                    : "no-cache";
            },
        });
        app.UsePageAddresses();
        app.UseKnownCharsets();
        app.UseNoNulCharacters();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapHealth();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapOrleansDashboard(routePrefix: "/ops/dashboard").WithTags("Ops").RequireAuthorization(Policies.Admin).AddEndpointFilter(DashboardInput.RefuseMalformedSiloAddressAsync);
        app.MapOpsSession();
        app.MapModules();
        return app;
    }

    private static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        // A number is a JSON number: the web defaults also read "30" as 30, so a client's type bug went unnoticed.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
    }
}
