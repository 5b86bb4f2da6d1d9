using System.Text.Json.Nodes;

namespace Telemedicina.DeployTests.CloudFormation;

/// <summary>Security invariants over any template, written as finders so they can be tested on bad input.</summary>
internal static class SecurityRules
{
    /// <summary>(protocol, from, to) that may face the whole internet: the ALB and the TURN servers.</summary>
    public static readonly IReadOnlySet<(string Protocol, int From, int To)> PublicPorts = new HashSet<(string, int, int)>
    {
        ("tcp", 80, 80),        // ALB, redirected to HTTPS
        ("tcp", 443, 443),      // ALB HTTPS; TURN over TLS
        ("udp", 3478, 3478),    // STUN/TURN
        ("tcp", 3478, 3478),    // TURN over TCP
        ("udp", 49152, 65535),  // TURN relay range
    };

    /// <summary>Ingress rules open to 0.0.0.0/0 or ::/0 on anything but <see cref="PublicPorts"/>.</summary>
    public static IEnumerable<string> WorldOpenIngress(Template template)
    {
        var rules = new List<(string Where, JsonObject Rule)>();
        foreach (var (id, sg) in template.ResourcesOfType("AWS::EC2::SecurityGroup"))
        {
            var ingress = Template.PropertiesOf(sg)["SecurityGroupIngress"] as JsonArray ?? [];
            rules.AddRange(ingress.OfType<JsonObject>().Select((r, i) => ($"{id}.SecurityGroupIngress[{i}]", r)));
        }

        rules.AddRange(template.ResourcesOfType("AWS::EC2::SecurityGroupIngress").Select(r => (r.Id, Template.PropertiesOf(r.Resource))));

        foreach (var (where, rule) in rules)
        {
            var cidr = template.Literal(rule["CidrIp"]) ?? template.Literal(rule["CidrIpv6"]);
            if (cidr is not ("0.0.0.0/0" or "::/0"))
            {
                continue;
            }

            var protocol = template.Literal(rule["IpProtocol"]) ?? "?";
            var from = int.TryParse(template.Literal(rule["FromPort"]), out var f) ? f : -1;
            var to = int.TryParse(template.Literal(rule["ToPort"]), out var t) ? t : -1;
            if (!PublicPorts.Contains((protocol, from, to)))
            {
                yield return $"{template.Name} {where}: {protocol} {from}-{to} open to {cidr}";
            }
        }
    }

    /// <summary>IAM statements (roles, policies, managed policies) that allow every action on every resource.</summary>
    public static IEnumerable<string> AdminStatements(Template template)
    {
        foreach (var (path, node) in Template.Walk(template.Root))
        {
            if (node is not JsonObject statement || statement["Effect"]?.ToString() != "Allow" || !statement.ContainsKey("Action"))
            {
                continue;
            }

            var actions = Template.AsList(statement["Action"]).Select(a => a?.ToString()).ToList();
            var resources = Template.AsList(statement["Resource"]).Select(r => r?.ToString()).ToList();
            var everyAction = actions.Any(a => a is "*" or "*:*");
            var everyResource = resources.Any(r => r == "*");
            if (everyAction && everyResource)
            {
                yield return $"{template.Name} {path}: Allow {string.Join(",", actions)} on {string.Join(",", resources)}";
            }
        }
    }

    /// <summary>S3 buckets without all four public access blocks or without default encryption.</summary>
    public static IEnumerable<string> UnprotectedBuckets(Template template)
    {
        foreach (var (id, bucket) in template.ResourcesOfType("AWS::S3::Bucket"))
        {
            var properties = Template.PropertiesOf(bucket);
            var block = properties["PublicAccessBlockConfiguration"] as JsonObject ?? [];
            foreach (var flag in new[] { "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets" })
            {
                if (template.Literal(block[flag]) != "true")
                {
                    yield return $"{template.Name} {id}: PublicAccessBlockConfiguration.{flag} is not true";
                }
            }

            var algorithms = (properties["BucketEncryption"]?["ServerSideEncryptionConfiguration"] as JsonArray ?? [])
                .Select(rule => rule?["ServerSideEncryptionByDefault"]?["SSEAlgorithm"]?.ToString())
                .ToList();
            if (!algorithms.Any(a => a is "AES256" or "aws:kms" or "aws:kms:dsse"))
            {
                yield return $"{template.Name} {id}: no default encryption";
            }
        }
    }
}
