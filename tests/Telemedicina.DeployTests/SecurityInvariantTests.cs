using System.Text.Json.Nodes;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

public sealed class SecurityInvariantTests
{
    public static TheoryData<string> Templates => [.. Repo.TemplateFiles];

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenScannedForResourceTypes_DeclaresNoElastiCacheOrOtherCache(string file)
    {
        // Membership, grain state and reminders live in PostgreSQL; signaling goes grain to silo.
        var types = Repo.Template(file).Resources.Select(r => Template.TypeOf((JsonObject)r.Value!) ?? "").ToList();

        Assert.DoesNotContain(types, t => t.StartsWith("AWS::ElastiCache::", StringComparison.Ordinal));
        Assert.DoesNotContain(types, t => t.StartsWith("AWS::MemoryDB::", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenIngressIsOpenToTheInternet_OnlyOpensAlbAndTurnPorts(string file)
    {
        var open = SecurityRules.WorldOpenIngress(Repo.Template(file)).ToList();

        Assert.True(open.Count == 0, string.Join(Environment.NewLine, open));
    }

    [Fact]
    public void WorldOpenIngress_WhenSshOrDatabaseIsOpen_ReportsBoth()
    {
        const string yaml = """
            Parameters:
              Ssh: { Type: Number, Default: 22 }
            Resources:
              Sg:
                Type: AWS::EC2::SecurityGroup
                Properties:
                  GroupDescription: bad
                  SecurityGroupIngress:
                    - { IpProtocol: tcp, FromPort: !Ref Ssh, ToPort: !Ref Ssh, CidrIp: 0.0.0.0/0 }
                    - { IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0 }
                    - { IpProtocol: tcp, FromPort: 8080, ToPort: 8080, CidrIp: 10.0.0.0/16 }
              Db:
                Type: AWS::EC2::SecurityGroupIngress
                Properties: { GroupId: x, IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIpv6: ::/0 }
            """;

        var open = SecurityRules.WorldOpenIngress(CfnYaml.Parse(yaml)).ToList();

        Assert.Equal(2, open.Count);
        Assert.Contains(open, o => o.Contains("tcp 22-22 open to 0.0.0.0/0", StringComparison.Ordinal));
        Assert.Contains(open, o => o.Contains("tcp 5432-5432 open to ::/0", StringComparison.Ordinal));
    }

    [Fact]
    public void SecurityGroups_WhenNetworkIsDeployed_KeepSiloAndDatabasePortsInside()
    {
        var network = Repo.Template("network.yaml");
        var ingress = network.ResourcesOfType("AWS::EC2::SecurityGroupIngress")
            .Select(r => Template.PropertiesOf(r.Resource))
            .ToDictionary(p => network.Literal(p["FromPort"])!, p => p);

        // Silo HTTP only from the ALB; Orleans silo and gateway ports only from the silo group itself.
        Assert.Equal("AlbSecurityGroup", ingress["8080"]["SourceSecurityGroupId"]?["Ref"]?.ToString());
        Assert.Equal("SiloSecurityGroup", ingress["11111"]["SourceSecurityGroupId"]?["Ref"]?.ToString());
        Assert.Equal("SiloSecurityGroup", ingress["30000"]["SourceSecurityGroupId"]?["Ref"]?.ToString());
        Assert.Equal("SiloSecurityGroup", ingress["11111"]["GroupId"]?["Ref"]?.ToString());

        var db = Template.PropertiesOf((JsonObject)network.Resources["DatabaseSecurityGroup"]!)["SecurityGroupIngress"] as JsonArray;
        var rule = Assert.Single(db!)!;
        Assert.Equal("5432", rule["FromPort"]?.ToString());
        Assert.Equal("SiloSecurityGroup", rule["SourceSecurityGroupId"]?["Ref"]?.ToString());
    }

    [Fact]
    public void TurnSecurityGroup_WhenDeployed_OpensStunTurnTlsAndRelayPorts()
    {
        var network = Repo.Template("network.yaml");
        var rules = (Template.PropertiesOf((JsonObject)network.Resources["TurnSecurityGroup"]!)["SecurityGroupIngress"] as JsonArray)!
            .Select(r => $"{r!["IpProtocol"]} {network.Literal(r["FromPort"])}-{network.Literal(r["ToPort"])}")
            .ToList();

        Assert.Equal(["udp 3478-3478", "tcp 3478-3478", "tcp 443-443", "udp 49152-65535"], rules);
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenItGrantsIamPermissions_NeverAllowsEveryActionOnEveryResource(string file)
    {
        var admin = SecurityRules.AdminStatements(Repo.Template(file)).ToList();

        Assert.True(admin.Count == 0, string.Join(Environment.NewLine, admin));
    }

    [Fact]
    public void AdminStatements_WhenPolicyAllowsStarOnStar_ReportsItButNotScopedStatements()
    {
        const string yaml = """
            Resources:
              Role:
                Type: AWS::IAM::Role
                Properties:
                  Policies:
                    - PolicyName: bad
                      PolicyDocument:
                        Statement:
                          - { Effect: Allow, Action: '*', Resource: '*' }
                          - { Effect: Allow, Action: ['s3:GetObject', '*:*'], Resource: ['*'] }
                          - { Effect: Allow, Action: 'cloudwatch:PutMetricData', Resource: '*' }
                          - { Effect: Deny, Action: '*', Resource: '*' }
            """;

        Assert.Equal(2, SecurityRules.AdminStatements(CfnYaml.Parse(yaml)).Count());
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Buckets_WhenDeclared_BlockAllPublicAccessAndEncrypt(string file)
    {
        var unprotected = SecurityRules.UnprotectedBuckets(Repo.Template(file)).ToList();

        Assert.True(unprotected.Count == 0, string.Join(Environment.NewLine, unprotected));
    }

    [Fact]
    public void UnprotectedBuckets_WhenOneFlagIsFalseAndEncryptionMissing_ReportsBoth()
    {
        const string yaml = """
            Resources:
              B:
                Type: AWS::S3::Bucket
                Properties:
                  PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: false, IgnorePublicAcls: true, RestrictPublicBuckets: true }
            """;

        var found = SecurityRules.UnprotectedBuckets(CfnYaml.Parse(yaml)).ToList();

        Assert.Equal(2, found.Count);
        Assert.Contains(found, f => f.Contains("BlockPublicPolicy", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Contains("no default encryption", StringComparison.Ordinal));
    }

    [Fact]
    public void SiloRole_WhenReadingSecrets_IsLimitedToItsOwnThreeSecrets()
    {
        var app = Repo.Template("app.yaml");
        var statements = Statements(app, "SiloRole");

        var secrets = Assert.Single(statements, s => s["Action"]?.ToString() == "secretsmanager:GetSecretValue");
        var resources = Template.AsList(secrets["Resource"]).Select(r => r?["Fn::ImportValue"]?["Fn::Sub"]?.ToString()).ToList();
        Assert.Equal(
            ["${ProjectName}-${EnvironmentName}-DbSecretArn", "${ProjectName}-${EnvironmentName}-TurnSecretArn", "${ProjectName}-${EnvironmentName}-AppSecretArn"],
            resources);

        // Every S3 grant names a prefix of one of its buckets, never a whole account's buckets.
        var s3 = statements.Where(s => Template.AsList(s["Action"]).Any(a => a!.ToString().StartsWith("s3:", StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(s3);
        Assert.All(s3, s => Assert.DoesNotContain("\"*\"", s["Resource"]!.ToJsonString(), StringComparison.Ordinal));
        Assert.Contains(s3, s => s["Resource"]!.ToJsonString().Contains("/files/*", StringComparison.Ordinal));
        Assert.Contains(s3, s => s["Resource"]!.ToJsonString().Contains("/checkpoints/*", StringComparison.Ordinal));
        Assert.DoesNotContain(s3, s => Template.AsList(s["Action"]).Any(a => a!.ToString() is "s3:*" or "s3:DeleteObjectVersion" or "s3:PutObjectRetention" or "s3:BypassGovernanceRetention"));
    }

    [Fact]
    public void SiloRole_WhenManagedPoliciesAreAttached_OnlyHasSsmCore()
    {
        var role = Template.PropertiesOf((JsonObject)Repo.Template("app.yaml").Resources["SiloRole"]!);

        var managed = Assert.Single((role["ManagedPolicyArns"] as JsonArray)!);
        Assert.EndsWith(":iam::aws:policy/AmazonSSMManagedInstanceCore", managed!["Fn::Sub"]!.ToString(), StringComparison.Ordinal);
    }

    private static List<JsonObject> Statements(Template template, string roleId) =>
        (Template.PropertiesOf((JsonObject)template.Resources[roleId]!)["Policies"] as JsonArray)!
            .SelectMany(p => p!["PolicyDocument"]!["Statement"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .ToList();
}
