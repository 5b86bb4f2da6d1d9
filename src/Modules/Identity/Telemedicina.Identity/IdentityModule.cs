using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Net.Http.Headers;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Database;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity.Application;
using Telemedicina.Identity.Contracts;
using Telemedicina.Identity.Domain;
using Telemedicina.Identity.Endpoints.Account;
using Telemedicina.Identity.Endpoints.Admin;
using Telemedicina.Identity.Endpoints.Files;
using Telemedicina.Identity.Endpoints.Login;
using Telemedicina.Identity.Endpoints.Profile;
using Telemedicina.Identity.Endpoints.Registration;
using Telemedicina.Identity.Endpoints.TwoFactorSetup;
using Telemedicina.Identity.Infrastructure;

namespace Telemedicina.Identity;

/// <summary>
/// The Identity module: accounts and roles on ASP.NET Core Identity, JWT access tokens with
/// rotating refresh tokens, TOTP 2FA, and the shared signing/Data Protection keys that let every
/// silo accept every token.
/// </summary>
public static class IdentityModule
{
    public const string LoginRateLimit = "identity-login";
    public const string RegisterRateLimit = "identity-register";

    /// <summary>Cookie carrying an admin's access token for the <c>/ops</c> dashboard only.</summary>
    public const string OpsCookieName = "ops_token";

    /// <summary>The query parameter that carries a hub WebSocket's token (browsers cannot set its headers).</summary>
    private const string AccessTokenParameter = "access_token";

    public static ModuleMigrations Migrations { get; } = new("Identity", "identity", typeof(IdentityModule).Assembly);

    public static IHostApplicationBuilder AddIdentityModule(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<IdentitySettings>(builder.Configuration.GetSection(IdentitySettings.Section));
        // Pooled: every booking, login and profile read creates a context, and a new one builds EF's per-context
        // services again (query translators, state manager); a pooled one is reset and reused.
        services.AddDbContextPool<IdentityDb>((sp, options) =>
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()).UseSnakeCaseNamingConvention());

        services.AddDataProtection()
            .SetApplicationName("telemedicina")
            .PersistKeysToDbContext<IdentityDb>();

        var settings = builder.Configuration.GetSection(IdentitySettings.Section).Get<IdentitySettings>() ?? new IdentitySettings();
        services.AddIdentityCore<AppUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 10;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 4;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = settings.MaxFailedAccessAttempts;
                options.Lockout.DefaultLockoutTimeSpan = settings.LockoutDuration;
                // Confirmation is enforced where it matters (booking), not at sign-in.
                options.SignIn.RequireConfirmedEmail = false;
            })
            .AddRoles<AppRole>()
            .AddEntityFrameworkStores<IdentityDb>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddPasswordValidator<PasswordPolicy>()
            .AddErrorDescriber<PortugueseIdentityErrors>();
        services.Configure<DataProtectionTokenProviderOptions>(o => o.TokenLifespan = TimeSpan.FromHours(2));

        services.AddSingleton<SigningKeyStore>();
        services.AddHostedService(sp => sp.GetRequiredService<SigningKeyStore>());
        services.AddSingleton<TokenSigner>();
        services.AddSingleton<VerifiedSignatures>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<HubTickets>();
        services.AddSingleton<IRetentionTask, HubTicketsRetention>();
        services.AddScoped<TwoFactor>();
        services.AddSingleton<PersonalDataProtector>();
        services.AddSingleton<IUserDirectory, UserDirectory>();
        services.AddSingleton<IPersonalDataHolder, IdentityPersonalData>();
        services.AddSingleton<IRetentionTask, RefreshTokenRetention>();
        services.AddSingleton<IRetentionTask, UnknownAccountFailuresRetention>();
        services.AddSingleton<UnknownAccountLockout>();
        services.AddSingleton<AccessRevocations>();
        services.AddSingleton<IAccessRevocations>(sp => sp.GetRequiredService<AccessRevocations>());
        services.AddHostedService(sp => sp.GetRequiredService<AccessRevocations>());
        services.AddSingleton<IRetentionTask, AccessRevocationsRetention>();
        services.AddSingleton<KeyedHasher>();
        services.AddSingleton<AccountLoginLimiter>();
        services.AddScoped<AccountEmails>();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeyStore, IOptions<IdentitySettings>, AccessRevocations, HubTickets, VerifiedSignatures>((options, keys, identity, revocations, hubTickets, signatures) =>
            {
                options.MapInboundClaims = false;

                // Nothing reads the token back from the authentication properties; a hub connection would keep it there.
                options.SaveToken = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = identity.Value.Issuer,
                    // Hub tickets have an audience of their own: accepted to open a hub WebSocket, refused everywhere else.
                    ValidAudiences = [identity.Value.Audience, hubTickets.Audience],
                    ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                    IssuerSigningKeyResolver = (_, _, keyId, _) => keys.ResolveValidationKeys(keyId),
                    // A session's token is checked on each of its calls: its signature once (VerifiedSignatures).
                    CryptoProviderFactory = signatures,
                    NameClaimType = "name",
                    RoleClaimType = CurrentUser.RoleClaim,
                    ClockSkew = identity.Value.ClockSkew,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                };
                options.Events = new JwtBearerEvents
                {
                    // Browsers cannot set headers on WebSockets: the hub takes the token from the query string.
                    OnMessageReceived = context =>
                    {
                        var path = context.HttpContext.Request.Path;
                        if (path.StartsWithSegments("/hubs", StringComparison.Ordinal)
                            && context.Request.Query.TryGetValue(AccessTokenParameter, out var token))
                        {
                            context.Token = token;
                        }
                        else if (path.StartsWithSegments("/ops", StringComparison.Ordinal)
                            && string.IsNullOrEmpty(context.Request.Headers.Authorization)
                            && context.Request.Cookies.TryGetValue(OpsCookieName, out var cookie))
                        {
                            // The admin-only dashboard is opened in a browser with a /ops-scoped cookie.
                            context.Token = cookie;
                        }

                        return Task.CompletedTask;
                    },

                    // A hub connection keeps its principal for hours: keep the claims the app reads, as plain claims,
                    // not the validated token with its parsed payload (about 4 KiB of a silo's heap per connection).
                    OnTokenValidated = async context =>
                    {
                        if (context.SecurityToken is not Microsoft.IdentityModel.JsonWebTokens.JsonWebToken jwt)
                        {
                            context.Fail("Unexpected token.");
                            return;
                        }

                        // A session ended since the token was issued (admin lock, erasure, reset): refused now, on
                        // every silo, not when the token expires.
                        if (Guid.TryParse(jwt.Subject, out var userId)
                            && (revocations.IsRevoked(userId, IssuedAt(jwt)) || SessionRevoked(jwt, revocations)))
                        {
                            context.Fail("The session was ended.");
                            return;
                        }

                        var request = context.HttpContext.Request;
                        var hub = request.Path.StartsWithSegments("/hubs", StringComparison.Ordinal);
                        if (jwt.Audiences.Contains(hubTickets.Audience, StringComparer.Ordinal))
                        {
                            // A hub ticket opens one hub WebSocket (its negotiation, when a client asks for one, does
                            // not spend it) and is refused by everything else: the API, other transports, a second use.
                            var failure = !hub ? "A hub ticket is accepted by the hub only."
                                : request.Path.Value!.EndsWith("/negotiate", StringComparison.Ordinal) ? null
                                : !IsWebSocketUpgrade(context.HttpContext) ? "A hub ticket opens a WebSocket only."
                                : !await hubTickets.TryUseAsync(jwt, context.HttpContext.RequestAborted) ? "The hub ticket was already used."
                                : null;
                            if (failure is not null)
                            {
                                context.Fail(failure);
                                return;
                            }
                        }

                        if (hub && context.Principal is { } principal)
                        {
                            context.Principal = LeanPrincipal(principal);
                            context.HttpContext.Features.Set(new AccessTokenIssued(IssuedAt(jwt)));
                            if (IsWebSocketUpgrade(context.HttpContext))
                            {
                                ForgetToken(request);
                            }
                        }
                    },
                };
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Authenticated, p => p.RequireAuthenticatedUser().RequireClaim(CurrentUser.RoleClaim, Roles.Patient, Roles.Doctor, Roles.Admin))
            .AddPolicy(Policies.Patient, p => p.RequireAuthenticatedUser().RequireClaim(CurrentUser.RoleClaim, Roles.Patient))
            .AddPolicy(Policies.Doctor, p => p.RequireAuthenticatedUser().RequireClaim(CurrentUser.RoleClaim, Roles.Doctor))
            // Admin endpoints require a session that used the second factor.
            .AddPolicy(Policies.Admin, p => p.RequireAuthenticatedUser().RequireClaim(CurrentUser.RoleClaim, Roles.Admin)
                .RequireClaim(TokenService.AuthenticationMethodClaim, "mfa"));

        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, SecondFactorRequired>();

        var limits = builder.Configuration.GetSection("RateLimits");
        var loginPermits = limits.GetValue("Login:PermitPerMinute", 20);
        var registerPermits = limits.GetValue("Register:PermitPerMinute", 10);
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(LoginRateLimit, context => PerClientIp(context, loginPermits));
            options.AddPolicy(RegisterRateLimit, context => PerClientIp(context, registerPermits));
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapIdentityEndpoints(this IEndpointRouteBuilder app)
    {
        var identity = app.MapGroup("/api/v1/identity").WithTags("Identity");
        identity.MapRegister();
        identity.MapLogin();
        identity.MapMe();
        identity.MapAccount();
        identity.MapTwoFactor();

        var admin = app.MapGroup("/api/v1/admin").WithTags("Admin").RequireAuthorization(Policies.Admin);
        admin.MapAdminUsers();
        identity.MapFiles(admin);
        return app;
    }

    /// <summary>
    /// Runs once after migrations, while the migration lock is held: creates the first Data
    /// Protection key and JWT signing keys so that silos starting together share them.
    /// </summary>
    public static async Task InitializeAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Telemedicina.Startup").Protect("ready"u8.ToArray());
        await services.GetRequiredService<SigningKeyStore>().RefreshAsync(cancellationToken);
        await services.GetRequiredService<KeyedHasher>().LoadOrCreateAsync(cancellationToken);
    }

    public static Task<DemoAccounts> SeedDemoAsync(IServiceProvider services) =>
        DemoAccountSeeder.SeedAsync(services, services.GetRequiredService<TimeProvider>());

    /// <summary>
    /// The claims a hub connection reads (subject, role, name) and its session, to close the connection when that
    /// session ends (a logout), copied into a plain identity. The hub checks no second factor and no expiry.
    /// </summary>
    internal static ClaimsPrincipal LeanPrincipal(ClaimsPrincipal validated)
    {
        string[] kept = [CurrentUser.SubjectClaim, CurrentUser.RoleClaim, "name", TokenService.SessionClaim];
        var claims = validated.Claims.Where(c => kept.Contains(c.Type, StringComparer.Ordinal)).Select(c => new Claim(c.Type, c.Value, c.ValueType));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, validated.Identity?.AuthenticationType ?? JwtBearerDefaults.AuthenticationScheme, "name", CurrentUser.RoleClaim));
    }

    /// <summary>
    /// A hub WebSocket's request lives as long as its connection, for hours: once its token is validated, the request
    /// forgets it (the Authorization header, and the <c>access_token</c> of the parsed query and of the query string it
    /// shows), about 1.2 KB of a silo's heap per connection, and a secret nothing reads again. The request line that
    /// Kestrel keeps for the connection still has a query-string token; nothing can release that.
    /// </summary>
    internal static void ForgetToken(HttpRequest request)
    {
        request.Headers.Remove(HeaderNames.Authorization);
        var query = request.Query;
        if (!query.ContainsKey(AccessTokenParameter))
        {
            return;
        }

        var rest = new Dictionary<string, StringValues>(query.Count - 1, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in query)
        {
            if (!string.Equals(name, AccessTokenParameter, StringComparison.OrdinalIgnoreCase))
            {
                rest[name] = value;
            }
        }

        request.Query = rest.Count == 0 ? QueryCollection.Empty : new QueryCollection(rest);
    }

    private static RateLimitPartition<string> PerClientIp(HttpContext context, int permitPerMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(
            context.ClientIp() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permitPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });

    /// <summary>Whether the token's session (<see cref="TokenService.SessionClaim"/>) was ended; a token without one (issued before the claim existed) is judged by its account alone.</summary>
    private static bool SessionRevoked(Microsoft.IdentityModel.JsonWebTokens.JsonWebToken jwt, AccessRevocations revocations) =>
        jwt.TryGetPayloadValue<string>(TokenService.SessionClaim, out var sid) && Guid.TryParseExact(sid, "N", out var sessionId)
        && revocations.IsSessionRevoked(sessionId);

    /// <summary>
    /// A WebSocket handshake, over HTTP/1.1 (Upgrade) or HTTP/2 (extended CONNECT). Read from the request: the WebSocket
    /// middleware that sets <c>HttpContext.WebSockets</c> runs inside the hub's endpoint, after authentication.
    /// </summary>
    private static bool IsWebSocketUpgrade(HttpContext http) =>
        string.Equals(http.Request.Headers.Upgrade.ToString(), "websocket", StringComparison.OrdinalIgnoreCase)
        || http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect
            && string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);

    /// <summary>When a token was issued, to the millisecond when it says so (<see cref="TokenService.IssuedAtMillisecondsClaim"/>).</summary>
    private static DateTimeOffset IssuedAt(Microsoft.IdentityModel.JsonWebTokens.JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<long>(TokenService.IssuedAtMillisecondsClaim, out var milliseconds)
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero);
}
