using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Telemedicina.Identity.Infrastructure;

namespace Telemedicina.UnitTests.Identity;

/// <summary>
/// The remembered signatures of access-token validation, through the real token handler and real ES256 keys: a token is
/// verified once, and nothing that was not signed so (other bytes, another signature, another key) or that is no longer
/// valid otherwise (expired) passes because of that memory.
/// </summary>
public sealed class VerifiedSignaturesTests : IDisposable
{
    private const string Issuer = "telemedicina-tests";
    private const string Audience = "telemedicina-api";
    private static readonly DateTime Now = DateTime.UtcNow;

    private readonly ECDsa _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _otherEcdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsaSecurityKey _key;
    private readonly VerifiedSignatures _signatures = new(capacity: 100, remember: TimeSpan.FromMinutes(15));
    private readonly JsonWebTokenHandler _handler = new();

    public VerifiedSignaturesTests()
    {
        _key = new ECDsaSecurityKey(_ecdsa) { KeyId = "key-1" };
    }

    [Fact]
    public async Task AValidToken_IsVerifiedOnce_AndAcceptedEveryTime()
    {
        var token = Sign(_key, "patient-1");

        for (var i = 0; i < 5; i++)
        {
            var result = await ValidateAsync(token, _key);
            Assert.True(result.IsValid, result.Exception?.Message);
            Assert.Equal("patient-1", ((JsonWebToken)result.SecurityToken).Subject);
        }

        Assert.Equal(1, _signatures.Verifications);
        Assert.Equal(1, _signatures.Remembered);
    }

    [Fact]
    public async Task OtherSignedBytes_UnderARememberedSignature_AreRefused()
    {
        var parts = (await RememberedAsync()).Split('.');

        // The same header and signature over another subject: what a client would try to become someone else.
        var forged = Sign(_key, "patient-2").Split('.');
        await AssertBadSignatureAsync($"{parts[0]}.{forged[1]}.{parts[2]}", _key);
        Assert.Equal(2, _signatures.Verifications);
        Assert.Equal(1, _signatures.Remembered);
    }

    [Fact]
    public async Task AnotherSignature_OverRememberedBytes_IsRefused()
    {
        var parts = (await RememberedAsync()).Split('.');

        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[^1] ^= 0x01;
        await AssertBadSignatureAsync($"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(signature)}", _key);
    }

    [Fact]
    public async Task AnotherKeyWithTheSameId_DoesNotInheritTheMemory()
    {
        var token = await RememberedAsync();

        // The key id resolves to other key material (a key replaced): the token is checked against it, and fails.
        await AssertBadSignatureAsync(token, new ECDsaSecurityKey(_otherEcdsa) { KeyId = _key.KeyId });
        Assert.Equal(2, _signatures.Verifications);
    }

    [Fact]
    public async Task AnExpiredToken_IsRefused_ThoughItsSignatureIsRemembered()
    {
        var token = Sign(_key, "patient-1", expires: Now.AddMinutes(-5));

        for (var i = 0; i < 2; i++)
        {
            var result = await ValidateAsync(token, _key);
            Assert.False(result.IsValid);
            Assert.IsType<SecurityTokenExpiredException>(result.Exception);
        }

        // The signature was checked first and found valid, then remembered: the lifetime still refused it both times.
        Assert.Equal(1, _signatures.Verifications);
        Assert.Equal(1, _signatures.Remembered);
    }

    [Fact]
    public async Task ItRemembersNoMoreThanItsCapacity_AndStillAcceptsEveryValidToken()
    {
        using var small = new VerifiedSignatures(capacity: 3, remember: TimeSpan.FromMinutes(15));

        for (var i = 0; i < 20; i++)
        {
            var result = await ValidateAsync(Sign(_key, $"patient-{i}"), _key, small);
            Assert.True(result.IsValid, result.Exception?.Message);
            Assert.InRange(small.Remembered, 1, 3);
        }

        Assert.Equal(20, small.Verifications);
    }

    [Fact]
    public async Task ItsMetrics_CountVerifiedAndRememberedSignatures_AndHowManyItHolds()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var signatures = new VerifiedSignatures(capacity: 100, remember: TimeSpan.FromMinutes(15), services.GetRequiredService<IMeterFactory>());
        var token = Sign(_key, "patient-1");
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await ValidateAsync(token, _key, signatures)).IsValid);
        }

        Assert.True((await ValidateAsync(Sign(_key, "patient-2"), _key, signatures)).IsValid);
        Assert.False((await ValidateAsync(token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1], _key, signatures)).IsValid);

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == VerifiedSignatures.MeterName && instrument.Meter.Scope == services.GetRequiredService<IMeterFactory>())
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var outcome = tags.ToArray().SingleOrDefault(t => t.Key == "outcome").Value;
            seen[outcome is null ? instrument.Name : $"{instrument.Name}/{outcome}"] = value;
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => seen[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();

        // Two tokens verified once each, the first remembered twice; the forged one verified and refused, not kept.
        Assert.Equal(3, seen["telemedicina.identity.token_signatures/verified"]);
        Assert.Equal(2, seen["telemedicina.identity.token_signatures/remembered"]);
        Assert.Equal(2, seen["telemedicina.identity.token_signatures.remembered"]);
    }

    public void Dispose()
    {
        _signatures.Dispose();
        _ecdsa.Dispose();
        _otherEcdsa.Dispose();
    }

    /// <summary>A valid token of patient-1, validated once: its signature is remembered.</summary>
    private async Task<string> RememberedAsync()
    {
        var token = Sign(_key, "patient-1");
        Assert.True((await ValidateAsync(token, _key)).IsValid);
        return token;
    }

    private async Task AssertBadSignatureAsync(string token, SecurityKey resolved)
    {
        var result = await ValidateAsync(token, resolved);
        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    private string Sign(SecurityKey key, string subject, DateTime? expires = null) =>
        _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = Now.AddMinutes(-10),
            NotBefore = Now.AddMinutes(-10),
            Expires = expires ?? Now.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["sub"] = subject },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });

    private Task<TokenValidationResult> ValidateAsync(string token, SecurityKey resolved, VerifiedSignatures? signatures = null) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            IssuerSigningKeyResolver = (_, _, _, _) => [resolved],
            ClockSkew = TimeSpan.Zero,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            CryptoProviderFactory = signatures ?? _signatures,
        });
}
