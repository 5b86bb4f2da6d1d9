using System.Security.Cryptography;
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
    public static string AlgNone(string token, string alg = "none")
    {
        var parts = token.Split('.');
        return $"{Encode($"{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}")}.{parts[1]}.";
    }

    /// <summary>The same header and claims with one bit of the signature flipped.</summary>
    public static string FlipSignatureBit(string token)
    {
        var parts = token.Split('.');
        var signature = Base64UrlDecode(parts[2]);
        signature[signature.Length / 2] ^= 0x01;
        return $"{parts[0]}.{parts[1]}.{Base64UrlEncode(signature)}";
    }

    /// <summary>
    /// A correctly formed ES256 token signed with a key the server has never seen ("a key from
    /// elsewhere"): the original claims, optionally changed, under the original header (same <c>kid</c>)
    /// or a header the caller edits (another <c>kid</c>, an embedded <c>jwk</c>...).
    /// </summary>
    public static string SignWithForeignKey(string token, ECDsa key, Action<JsonObject>? editHeader = null, Action<JsonObject>? editPayload = null)
    {
        var parts = token.Split('.');
        var header = Header(token);
        editHeader?.Invoke(header);
        var payload = JsonNode.Parse(Decode(parts[1]))!.AsObject();
        editPayload?.Invoke(payload);
        var signingInput = $"{Encode(header.ToJsonString())}.{Encode(payload.ToJsonString())}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{signingInput}.{Base64UrlEncode(signature)}";
    }

    /// <summary>The original claims under <c>alg: HS256</c>, signed with the given secret (algorithm confusion).</summary>
    public static string SignHs256(string token, byte[] secret)
    {
        var parts = token.Split('.');
        var header = Header(token);
        header["alg"] = "HS256";
        var signingInput = $"{Encode(header.ToJsonString())}.{parts[1]}";
        return $"{signingInput}.{Base64UrlEncode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)))}";
    }

    /// <summary>The public half of an EC key as a JWK, for tokens that try to bring their own key.</summary>
    public static JsonObject PublicJwk(ECDsa key)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64UrlEncode(p.Q.X!),
            ["y"] = Base64UrlEncode(p.Q.Y!),
        };
    }

    public static JsonObject Header(string token) => JsonNode.Parse(Decode(token.Split('.')[0]))!.AsObject();

    public static JsonObject Payload(string token) => JsonNode.Parse(Decode(token.Split('.')[1]))!.AsObject();

    private static string Decode(string part) => Encoding.UTF8.GetString(Base64UrlDecode(part));

    private static byte[] Base64UrlDecode(string part)
    {
        var padded = part.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        return Convert.FromBase64String(padded);
    }

    private static string Encode(string json) => Base64UrlEncode(Encoding.UTF8.GetBytes(json));

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
