using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Telemedicina.Identity.Infrastructure;

namespace Telemedicina.Bench.Micro;

/// <summary>
/// One access token's validation as every API call does it (ES256, issuer, audience, lifetime), with the token
/// handler's own crypto providers and with <see cref="VerifiedSignatures"/> once the token's signature is remembered.
/// </summary>
[MemoryDiagnoser]
public class TokenValidationBenchmarks : IDisposable
{
    private readonly ECDsa _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly JsonWebTokenHandler _handler = new();
    private readonly VerifiedSignatures _signatures = new(capacity: 1000, remember: TimeSpan.FromMinutes(15));
    private TokenValidationParameters _plain = null!;
    private TokenValidationParameters _remembering = null!;
    private string _token = "";

    [GlobalSetup]
    public void Setup()
    {
        var key = new ECDsaSecurityKey(_ecdsa) { KeyId = Guid.NewGuid().ToString("N") };
        var now = DateTime.UtcNow;
        _token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "telemedicina",
            Audience = "telemedicina-api",
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(4),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = Guid.NewGuid().ToString(),
                ["jti"] = Guid.NewGuid().ToString("N"),
                ["role"] = "patient",
                ["name"] = "Maria Aparecida da Silva",
                ["sid"] = Guid.NewGuid().ToString("N"),
                ["iat_ms"] = new DateTimeOffset(now).ToUnixTimeMilliseconds(),
            },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });
        _plain = new TokenValidationParameters
        {
            ValidIssuer = "telemedicina",
            ValidAudience = "telemedicina-api",
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            IssuerSigningKeyResolver = (_, _, _, _) => [key],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        };
        _remembering = _plain.Clone();
        _remembering.CryptoProviderFactory = _signatures;
    }

    [Benchmark(Baseline = true)]
    public async Task<bool> VerifiedEveryTime() => (await _handler.ValidateTokenAsync(_token, _plain)).IsValid;

    [Benchmark]
    public async Task<bool> SignatureRemembered() => (await _handler.ValidateTokenAsync(_token, _remembering)).IsValid;

    public void Dispose()
    {
        _signatures.Dispose();
        _ecdsa.Dispose();
        GC.SuppressFinalize(this);
    }
}
