using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Telemedicina.DeployTests.Containers;

namespace Telemedicina.DeployTests;

/// <summary>
/// Static checks of deploy/docker/Dockerfile, docker-compose.yml and deploy/docker/nginx.conf against
/// the host's own source (its configuration keys, ports and health endpoints). Docker itself is not
/// needed (none on the build machines).
/// </summary>
public sealed partial class ContainerTests
{
    private const string HostImage = "telemedicina-host:local";

    public static TheoryData<string> HostServices => [.. Compose().ServicesWithImage(HostImage).Select(s => s.Name)];

    [Fact]
    public void Dockerfile_WhenBuilt_HasSeparateBuildStagesAndARuntimeOnlyFinalStage()
    {
        var stages = Stages();
        var final = stages[^1];

        Assert.True(stages.Count >= 2, "not multi-stage");
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", final.Image, StringComparison.Ordinal);
        Assert.DoesNotContain(final.All("RUN"), r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal) || r.Arguments.Contains("npm ", StringComparison.Ordinal));
        Assert.Contains(final.All("COPY"), c => c.Arguments.StartsWith("--from=build ", StringComparison.Ordinal));
        Assert.Contains(stages, s => s.Image.StartsWith("mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal) && s.Name == "build");
    }

    [Fact]
    public void Dockerfile_WhenRunning_RunsTheFinalStageAsANonRootUser()
    {
        var final = Stages()[^1];
        var user = final.All("USER").LastOrDefault();

        Assert.NotNull(user);
        Assert.True(IsNonRoot(user.Arguments), $"USER {user.Arguments} is root");
        // Nothing after USER may switch back or need root at build time.
        Assert.DoesNotContain(final.Instructions, i => i.Line > user.Line && i.Keyword is "RUN" or "USER");
        Assert.Contains(final.Instructions, i => i.Keyword == "ENTRYPOINT" && i.Line > user.Line);
    }

    [Theory]
    [InlineData("root", false)]
    [InlineData("0", false)]
    [InlineData("0:0", false)]
    [InlineData("root:app", false)]
    [InlineData("$APP_UID", true)]
    [InlineData("${APP_UID}", true)]
    [InlineData("1654", true)]
    [InlineData("app", true)]
    public void NonRootCheck_WhenGivenAUser_TellsRootApart(string user, bool expected) =>
        Assert.Equal(expected, IsNonRoot(user));

    [Fact]
    public void Dockerfile_WhenExposingPorts_ExposesHttpSiloAndGatewayPortsOfTheHost()
    {
        var final = Stages()[^1];
        var env = final.Environment();
        var exposed = final.All("EXPOSE").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture)).Order().ToList();
        var http = int.Parse(env["ASPNETCORE_HTTP_PORTS"], CultureInfo.InvariantCulture);

        Assert.Equal(new[] { http, OrleansDefault("SiloPort"), OrleansDefault("GatewayPort") }.Order(), exposed);
        Assert.Equal(OrleansDefault("SiloPort").ToString(CultureInfo.InvariantCulture), env["Orleans__SiloPort"]);
        Assert.Equal(OrleansDefault("GatewayPort").ToString(CultureInfo.InvariantCulture), env["Orleans__GatewayPort"]);
        // The HTTP port is the one the target group and the systemd env use too.
        Assert.Equal(http.ToString(CultureInfo.InvariantCulture), UnitHttpPort());
    }

    [Fact]
    public void Dockerfile_WhenCheckingHealth_ProbesLivenessOnTheHttpPort()
    {
        var final = Stages()[^1];
        var check = Assert.Single(final.All("HEALTHCHECK"));
        var http = final.Environment()["ASPNETCORE_HTTP_PORTS"];

        Assert.Contains($"http://127.0.0.1:{http}/health/live", check.Arguments, StringComparison.Ordinal);
        Assert.Contains("\"/health/live\"", Repo.Read("src", "Host", "Telemedicina.Host", "Health", "HealthEndpoints.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_WhenSettingEnvironment_SetsOnlyKeysTheHostReads()
    {
        var unknown = Stages()[^1].Environment().Keys.Where(k => !HostConfiguration.Current.Reads(k)).ToList();

        Assert.True(unknown.Count == 0, $"Dockerfile sets keys the host never reads: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Dockerfile_WhenCopyingTheContext_FindsEveryFileItCopies()
    {
        var stages = Stages();
        foreach (var copy in stages.SelectMany(s => s.All("COPY")).Where(c => !c.Arguments.StartsWith("--from=", StringComparison.Ordinal)))
        {
            var sources = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).SkipLast(1);
            foreach (var source in sources)
            {
                var path = Path.Combine(Repo.Root, source.TrimEnd('/'));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"line {copy.Line}: COPY {source} is not in the repository");
            }
        }
    }

    [Theory]
    [MemberData(nameof(HostServices))]
    public void Compose_WhenConfiguringAHostContainer_SetsOnlyKeysTheHostReads(string service)
    {
        var unknown = ComposeFile.Environment(Compose().Service(service)).Keys.Where(k => !HostConfiguration.Current.Reads(k)).ToList();

        Assert.True(unknown.Count == 0, $"{service} sets keys the host never reads: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Compose_WhenStarted_RunsTwoSilosOfOneClusterBehindTheBalancer()
    {
        var silos = Silos();

        Assert.True(silos.Count >= 2, "fewer than two silos");
        var clusterIds = silos.Select(s => ComposeFile.Environment(s.Service).GetValueOrDefault("Orleans__ClusterId")).Distinct().ToList();
        var serviceIds = silos.Select(s => ComposeFile.Environment(s.Service).GetValueOrDefault("Orleans__ServiceId")).Distinct().ToList();
        Assert.True(clusterIds is [{ Length: > 0 }], $"silos do not share one ClusterId: {string.Join(", ", clusterIds)}");
        Assert.True(serviceIds is [{ Length: > 0 }], $"silos do not share one ServiceId: {string.Join(", ", serviceIds)}");
        Assert.Equal(silos.Count, silos.Select(s => ComposeFile.Environment(s.Service)["Node__Name"]).Distinct().Count());
        Assert.All(silos, s => Assert.Equal(ConnectionString(s.Service), ConnectionString(silos[0].Service)));
    }

    [Fact]
    public void Compose_WhenSilosListen_UseTheImagesPortsAndPublishTheHttpPort()
    {
        var http = int.Parse(Stages()[^1].Environment()["ASPNETCORE_HTTP_PORTS"], CultureInfo.InvariantCulture);

        foreach (var (name, service) in Silos())
        {
            var env = ComposeFile.Environment(service);
            Assert.Equal(OrleansDefault("SiloPort").ToString(CultureInfo.InvariantCulture), env.GetValueOrDefault("Orleans__SiloPort", OrleansDefault("SiloPort").ToString(CultureInfo.InvariantCulture)));
            Assert.Equal(OrleansDefault("GatewayPort").ToString(CultureInfo.InvariantCulture), env.GetValueOrDefault("Orleans__GatewayPort", OrleansDefault("GatewayPort").ToString(CultureInfo.InvariantCulture)));
            Assert.False(env.ContainsKey("Urls") || env.ContainsKey("ASPNETCORE_URLS") || env.ContainsKey("ASPNETCORE_HTTP_PORTS"), $"{name} overrides the image's HTTP port");
            Assert.All(ComposeFile.Ports(service), p => Assert.Equal(http, p.Container));
            Assert.Equal("SIGTERM", service["stop_signal"]?.ToString());
            Assert.True(Seconds(service["stop_grace_period"]!.ToString()) > HostShutdownSeconds(), $"{name}: stop_grace_period does not cover the host's {HostShutdownSeconds()} s shutdown");
        }
    }

    [Fact]
    public void Compose_WhenBalancing_SendsToEverySiloOnItsHttpPortWithoutAffinity()
    {
        var nginx = Nginx();
        var http = int.Parse(Stages()[^1].Environment()["ASPNETCORE_HTTP_PORTS"], CultureInfo.InvariantCulture);
        var upstream = UpstreamServer().Matches(nginx).Select(m => (m.Groups["host"].Value, int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture))).ToList();

        Assert.Equal(Silos().Select(s => (s.Name, http)).Order(), upstream.Order());
        Assert.Empty(AffinityIssues(nginx));
        Assert.Contains("proxy_set_header Upgrade $http_upgrade;", nginx, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header Connection $connection_upgrade;", nginx, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header X-Forwarded-For", nginx, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header X-Forwarded-Proto", nginx, StringComparison.Ordinal);

        var listen = int.Parse(NginxListen().Match(nginx).Groups["port"].Value, CultureInfo.InvariantCulture);
        var lb = Compose().Service("nginx");
        Assert.Equal("./deploy/docker/nginx.conf:/etc/nginx/nginx.conf:ro", lb["volumes"]?[0]?.ToString());
        Assert.Equal(listen, Assert.Single(ComposeFile.Ports(lb)).Container);
        Assert.All(Silos(), s => Assert.Equal("service_healthy", lb["depends_on"]?[s.Name]?["condition"]?.ToString()));
    }

    [Theory]
    [InlineData("upstream u { ip_hash; server a:1; }", "ip_hash")]
    [InlineData("upstream u { hash $remote_addr consistent; server a:1; }", "hash")]
    [InlineData("upstream u { sticky cookie srv_id expires=1h; server a:1; }", "sticky")]
    [InlineData("upstream u { server a:1; }\nserver { location / { proxy_pass http://u; proxy_cookie_path / /; } }", null)]
    public void AffinityCheck_WhenGivenAnUpstream_FindsIpHashHashAndSticky(string config, string? expected)
    {
        var issues = AffinityIssues(config);

        if (expected is null)
        {
            Assert.Empty(issues);
        }
        else
        {
            Assert.Contains(expected, Assert.Single(issues), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Compose_WhenSilosReachTheirDependencies_NameServicesAndPortsThatExist()
    {
        var compose = Compose();
        var silo = Silos()[0].Service;
        var env = ComposeFile.Environment(silo);

        // PostgreSQL: host = the service, user/database/password = what the postgres container creates.
        var connection = ConnectionString(silo);
        var postgres = ComposeFile.Environment(compose.Service("postgres"));
        Assert.Equal("postgres", connection["Host"]);
        Assert.Equal("5432", connection["Port"]);
        Assert.Equal(postgres["POSTGRES_USER"], connection["Username"]);
        Assert.Equal(postgres["POSTGRES_DB"], connection["Database"]);
        Assert.Equal(postgres["POSTGRES_PASSWORD"], connection["Password"]);

        // S3: the minio service on the API port its command sets, the bucket createbucket makes,
        // the credentials minio was started with.
        var storage = new Uri(env["Storage__S3__ServiceUrl"]);
        var minio = compose.Service(storage.Host);
        var minioCommand = string.Join(' ', (minio["command"] as JsonArray)!.Select(a => a!.ToString()));
        Assert.Equal("S3", env["Storage__Provider"]);
        Assert.Contains($"--address :{storage.Port}", minioCommand, StringComparison.Ordinal);
        Assert.Contains($"local/{env["Storage__S3__Bucket"]}", compose.Service("createbucket")["entrypoint"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(ComposeFile.Environment(minio)["MINIO_ROOT_USER"], env["Storage__S3__AccessKey"]);
        Assert.Equal(ComposeFile.Environment(minio)["MINIO_ROOT_PASSWORD"], env["Storage__S3__SecretKey"]);
        Assert.Contains(ComposeFile.Ports(minio), p => p.Host == storage.Port && p.Container == storage.Port);

        // TURN: coturn's listening port and shared secret.
        var coturn = string.Join('\n', (compose.Service("coturn")["command"] as JsonArray)!.Select(a => a!.ToString()));
        var turnPort = TurnPort().Match(coturn).Groups["port"].Value;
        Assert.All(env.Where(e => e.Key.StartsWith("Turn__Urls__", StringComparison.Ordinal)), url => Assert.Matches($@"^turns?:127\.0\.0\.1:{turnPort}\?transport=(udp|tcp)$", url.Value));
        Assert.Contains($"--static-auth-secret={env["Turn__Secret"]}", coturn, StringComparison.Ordinal);

        // Links in e-mails point at the load balancer's published port.
        var nginxPort = Assert.Single(ComposeFile.Ports(compose.Service("nginx"))).Host;
        Assert.Equal(nginxPort, new Uri(env["Email__PublicBaseUrl"]).Port);

        // Forwarded headers are trusted from the compose network (where nginx is).
        Assert.Equal(compose.Root["networks"]?["default"]?["ipam"]?["config"]?[0]?["subnet"]?.ToString(), env["ForwardedHeaders__KnownNetworks__0"]);
    }

    [Fact]
    public void Compose_WhenStarting_MigratesOnceBeforeTheSilosStart()
    {
        var compose = Compose();
        var migrate = compose.Service("migrate");

        Assert.Equal(HostImage, migrate["image"]?.ToString());
        Assert.Contains("migrate", migrate["entrypoint"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("service_healthy", migrate["depends_on"]?["postgres"]?["condition"]?.ToString());
        Assert.All(Silos(), s => Assert.Equal("service_completed_successfully", s.Service["depends_on"]?["migrate"]?["condition"]?.ToString()));
        Assert.Equal("deploy/docker/Dockerfile", migrate["build"]?["dockerfile"]?.ToString());
    }

    [Fact]
    public void DeploymentEnvironments_WhenWrittenForSystemd_SetOnlyKeysTheHostReads()
    {
        var keys = new List<(string Where, string Key)>();
        keys.AddRange(EnvLine().Matches(Repo.Read("deploy", "systemd", "telemedicina.env.example")).Select(m => ("telemedicina.env.example", m.Groups["key"].Value)));
        keys.AddRange(UnitEnvironment().Matches(Repo.Read("deploy", "systemd", "telemedicina.service")).Select(m => ("telemedicina.service", m.Groups["key"].Value)));
        var afterInstall = Repo.Read("deploy", "codedeploy", "scripts", "after-install.sh");
        var heredoc = afterInstall[afterInstall.IndexOf("<<ENV", StringComparison.Ordinal)..afterInstall.IndexOf("\nENV\n", StringComparison.Ordinal)];
        keys.AddRange(EnvLine().Matches(heredoc).Select(m => ("after-install.sh", m.Groups["key"].Value)));

        Assert.True(keys.Count > 20, "too few keys found: the scan is broken");
        var unknown = keys.Where(k => !HostConfiguration.Current.Reads(k.Key)).Select(k => $"{k.Where}: {k.Key}").ToList();
        Assert.True(unknown.Count == 0, $"keys the host never reads: {string.Join(", ", unknown)}");
    }

    [Theory]
    [InlineData("ConnectionStrings__Postgres", true)]
    [InlineData("Orleans__ClusterId", true)]
    [InlineData("orleans__clusterid", true)]
    [InlineData("Orleans__MigrateOnStartup", true)]
    [InlineData("Storage__S3__Bucket", true)]
    [InlineData("Storage__S3__ServiceUrl", true)]
    [InlineData("Storage__FileSystem__Root", true)]
    [InlineData("Turn__Urls__2", true)]
    [InlineData("ForwardedHeaders__KnownNetworks__0", true)]
    [InlineData("Node__Name", true)]
    [InlineData("RateLimits__Login__PermitPerMinute", true)]
    [InlineData("Privacy__CheckpointKey", true)]
    [InlineData("Email__SmtpHost", true)]
    [InlineData("Web__AssetsBaseUrl", true)]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", true)]
    [InlineData("Logging__LogLevel__Orleans", true)]
    [InlineData("Storage__S3__ForcePathStyle", false)]
    [InlineData("Storage__S3", false)]
    [InlineData("Turn__Secret__0", false)]
    [InlineData("Turn__Url__0", false)]
    [InlineData("Orleans__ClusterID2", false)]
    [InlineData("AWS_ACCESS_KEY_ID", false)]
    [InlineData("RateLimits__Login__Permits", false)]
    public void HostConfiguration_WhenScannedFromSource_KnowsRealKeysAndRejectsOthers(string key, bool expected) =>
        Assert.Equal(expected, HostConfiguration.Current.Reads(key));

    [Fact]
    public void HostConfiguration_WhenScanningASample_FollowsSectionsNestedClassesArraysAndLiterals()
    {
        const string sample = """
            public sealed class FooSettings
            {
                public const string Section = "Foo";
                public int Size { get; set; } = 3;
                public string[] Names { get; set; } = [];
                public BarSettings Bar { get; set; } = new();
                public int Computed => Size * 2;
            }

            public sealed class BarSettings
            {
                public string? Url { get; set; }
            }

            internal static class Use
            {
                public static void Run(IConfiguration configuration)
                {
                    var a = configuration["Plain:Key"];
                    var b = configuration.GetValue<int>("Other:Value", 1);
                    var c = configuration.GetConnectionString("Main");
                    var limits = configuration.GetSection("Limits");
                    var d = limits.GetValue("Login:Per", 2);
                    var e = configuration.GetSection("Nets").Get<string[]>();
                }
            }
            """;

        var scanned = HostConfiguration.FromSources([sample]);

        Assert.Equal(
            ["ConnectionStrings:Main", "Foo:Bar:Url", "Foo:Names", "Foo:Size", "Limits:Login:Per", "Nets", "Other:Value", "Plain:Key"],
            scanned.Keys.Order(StringComparer.Ordinal));
        Assert.True(scanned.Reads("Foo__Names__4"));
        Assert.True(scanned.Reads("Nets__0"));
        Assert.False(scanned.Reads("Foo__Computed"));
        Assert.False(scanned.Reads("Foo__Bar"));
        Assert.False(scanned.Reads("Foo__Size__0"));
    }

    internal static bool IsNonRoot(string user)
    {
        var name = user.Split(':')[0].Trim();
        return name.Length > 0 && name != "root" && name != "0";
    }

    internal static IReadOnlyList<string> AffinityIssues(string nginxConfig)
    {
        var issues = new List<string>();
        foreach (Match upstream in UpstreamBlock().Matches(nginxConfig))
        {
            foreach (var directive in new[] { "ip_hash", "hash", "sticky" })
            {
                if (Regex.IsMatch(upstream.Groups["body"].Value, $@"(^|[;{{\s]){directive}\b", RegexOptions.Multiline))
                {
                    issues.Add($"upstream {upstream.Groups["name"].Value}: {directive}");
                }
            }
        }

        return issues;
    }

    private static IReadOnlyList<DockerStage> Stages() => Dockerfile.Parse(Repo.Read("deploy", "docker", "Dockerfile"));

    private static ComposeFile Compose() => ComposeFile.Parse(Repo.Read("docker-compose.yml"));

    private static string Nginx() => Repo.Read("deploy", "docker", "nginx.conf");

    /// <summary>Host-image services that run a silo (no one-shot command in place of the entry point).</summary>
    private static List<(string Name, JsonObject Service)> Silos() =>
        [.. Compose().ServicesWithImage(HostImage).Where(s => s.Service["entrypoint"] is null && s.Service["command"] is null)];

    private static Dictionary<string, string> ConnectionString(JsonObject service) =>
        ComposeFile.Environment(service)["ConnectionStrings__Postgres"].Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);

    private static int OrleansDefault(string property)
    {
        var match = Regex.Match(Repo.Read("src", "Host", "Telemedicina.Host", "Composition", "NodeSettings.cs"), $@"public int {property} \{{ get; set; \}} = (?<value>\d+);");
        return match.Success ? int.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"no default for Orleans {property}");
    }

    private static int HostShutdownSeconds()
    {
        var match = Regex.Match(Repo.Read("src", "Host", "Telemedicina.Host", "Composition", "HostComposition.cs"), @"ShutdownTimeout = TimeSpan\.FromSeconds\((?<value>\d+)\)");
        return match.Success ? int.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException("no ShutdownTimeout in HostComposition.cs");
    }

    private static int Seconds(string composeDuration) =>
        composeDuration.EndsWith('s') && int.TryParse(composeDuration[..^1], CultureInfo.InvariantCulture, out var seconds) ? seconds
        : composeDuration.EndsWith('m') && int.TryParse(composeDuration[..^1], CultureInfo.InvariantCulture, out var minutes) ? minutes * 60
        : throw new FormatException($"duration {composeDuration}");

    private static string UnitHttpPort() =>
        Regex.Match(Repo.Read("deploy", "systemd", "telemedicina.env.example"), @"^Urls=http://0\.0\.0\.0:(?<port>\d+)$", RegexOptions.Multiline).Groups["port"].Value;

    [GeneratedRegex(@"upstream\s+(?<name>\S+)\s*\{(?<body>[^}]*)\}")]
    private static partial Regex UpstreamBlock();

    [GeneratedRegex(@"^\s*server\s+(?<host>[A-Za-z0-9_.-]+):(?<port>\d+)\b", RegexOptions.Multiline)]
    private static partial Regex UpstreamServer();

    [GeneratedRegex(@"^\s*listen\s+(?<port>\d+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NginxListen();

    [GeneratedRegex(@"--listening-port=(?<port>\d+)")]
    private static partial Regex TurnPort();

    [GeneratedRegex(@"^(?<key>[A-Za-z_][A-Za-z0-9_]*)=", RegexOptions.Multiline)]
    private static partial Regex EnvLine();

    [GeneratedRegex(@"^Environment=(?<key>[A-Za-z_][A-Za-z0-9_]*)=", RegexOptions.Multiline)]
    private static partial Regex UnitEnvironment();
}
