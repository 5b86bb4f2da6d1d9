using System.Text;
using System.Text.Json.Nodes;

namespace Telemedicina.Testing;

/// <summary>Builds malicious variants of a real token for negative tests.</summary>
public static class Jwt
{
    /// <summary>The same token with one payload claim changed but the original signature.</summary>
    public static string Tamper(string token, string claim, string value)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Decode(parts[1]))!.AsObject();
        payload[claim] = value;
        return $"{parts[0]}.{Encode(payload.ToJsonString())}.{parts[2]}";
    }

    /// <summary>The same claims with <c>alg: none</c> and no signature.</summary>
    public static string AlgNone(string token)
    {
        var parts = token.Split('.');
        return $"{Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{parts[1]}.";
    }

    public static JsonObject Payload(string token) => JsonNode.Parse(Decode(token.Split('.')[1]))!.AsObject();

    private static string Decode(string part)
    {
        var padded = part.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded));
    }

    private static string Encode(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
