using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Telemedicina.Identity.Infrastructure;

/// <summary>
/// The crypto provider factory of access-token validation: its verifiers remember the signatures they found valid, so
/// the same token presented again (every API call of a session, for up to its lifetime) skips the ECDSA verification,
/// which took about a tenth of a silo's CPU under the booking benchmark (issue 8).
/// <para>
/// Sound because a signature check is a pure function of the key, the signed bytes and the signature: a valid result is
/// remembered under that very key object (<see cref="SigningKeyStore"/> keeps one per key id; a key it no longer
/// resolves is never asked again) and the SHA-256 of the signed bytes and the signature. Everything else the token
/// handler checks (algorithm, key id, issuer, audience, lifetime) and the session revocations are still checked on every
/// request, and an invalid signature is never remembered, so a client cannot fill the memory with forgeries.
/// </para>
/// </summary>
internal sealed class VerifiedSignatures : CryptoProviderFactory, IDisposable
{
    /// <summary>At most this many signatures are remembered per silo (a few hundred bytes each); more are checked every time until some expire.</summary>
    public const int Capacity = 100_000;

    /// <summary>The meter of its metrics, the Identity module's.</summary>
    public const string MeterName = "Telemedicina.Identity";

    /// <summary>A signature not presented for this long is forgotten (hub tickets, used once, do not stay).</summary>
    private static readonly TimeSpan Unused = TimeSpan.FromMinutes(2);

    private readonly MemoryCache _valid;
    private readonly TimeSpan _remember;
    private readonly Meter? _meter;
    private long _verifications;
    private long _recalled;

    public VerifiedSignatures(IOptions<IdentitySettings> settings, IMeterFactory? meters = null)
        : this(Capacity, settings.Value.AccessTokenLifetime + settings.Value.ClockSkew, meters)
    {
    }

    /// <param name="capacity">How many valid signatures are remembered at most.</param>
    /// <param name="remember">How long one is remembered at most: no token it signed is valid for longer.</param>
    /// <param name="meters">Where its metrics go (operators: how many checks the memory saves, how full it is).</param>
    internal VerifiedSignatures(int capacity, TimeSpan remember, IMeterFactory? meters = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _valid = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity });
        _remember = remember;
        if (meters is not null)
        {
            _meter = meters.Create(MeterName);
            _meter.CreateObservableCounter(
                "telemedicina.identity.token_signatures",
                () => new[]
                {
                    new Measurement<long>(Verifications, new KeyValuePair<string, object?>("outcome", "verified")),
                    new Measurement<long>(Recalled, new KeyValuePair<string, object?>("outcome", "remembered")),
                },
                "{signature}",
                "Access-token signatures checked: verified with the key, or found valid in this silo's memory");
            _meter.CreateObservableUpDownCounter(
                "telemedicina.identity.token_signatures.remembered", () => Remembered, "{signature}",
                $"Valid access-token signatures this silo remembers (at most {capacity})");
        }
    }

    /// <summary>How many signatures were verified by the key's provider, not from memory.</summary>
    internal long Verifications => Interlocked.Read(ref _verifications);

    /// <summary>How many signatures were found valid in memory.</summary>
    internal long Recalled => Interlocked.Read(ref _recalled);

    /// <summary>How many valid signatures are remembered now.</summary>
    internal int Remembered => _valid.Count;

    public override SignatureProvider CreateForVerifying(SecurityKey key, string algorithm, bool cacheProvider) =>
        new Remembering(base.CreateForVerifying(key, algorithm, cacheProvider), this);

    public override void ReleaseSignatureProvider(SignatureProvider signatureProvider) =>
        base.ReleaseSignatureProvider(signatureProvider is Remembering remembering ? remembering.Inner : signatureProvider);

    public void Dispose()
    {
        _meter?.Dispose();
        _valid.Dispose();
    }

    private bool Verify(SignatureProvider inner, ReadOnlySpan<byte> signed, ReadOnlySpan<byte> signature, Func<bool> verify)
    {
        var fingerprint = Fingerprint.Of(inner.Key, inner.Algorithm, signed, signature);
        if (_valid.TryGetValue(fingerprint, out _))
        {
            Interlocked.Increment(ref _recalled);
            return true;
        }

        Interlocked.Increment(ref _verifications);
        if (!verify())
        {
            return false;
        }

        using var entry = _valid.CreateEntry(fingerprint);
        entry.Value = true;
        entry.Size = 1;
        entry.AbsoluteExpirationRelativeToNow = _remember;
        entry.SlidingExpiration = Unused < _remember ? Unused : null;
        return true;
    }

    /// <summary>The key object, the algorithm, and SHA-256 over the signed bytes' length, the signed bytes and the signature.</summary>
    private readonly record struct Fingerprint(SecurityKey Key, string Algorithm, UInt128 High, UInt128 Low)
    {
        public bool Equals(Fingerprint other) =>
            ReferenceEquals(Key, other.Key) && string.Equals(Algorithm, other.Algorithm, StringComparison.Ordinal) && High == other.High && Low == other.Low;

        public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(Key), Low);

        public static Fingerprint Of(SecurityKey key, string algorithm, ReadOnlySpan<byte> signed, ReadOnlySpan<byte> signature)
        {
            var length = sizeof(int) + signed.Length + signature.Length;
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer, signed.Length);
                signed.CopyTo(buffer.AsSpan(sizeof(int)));
                signature.CopyTo(buffer.AsSpan(sizeof(int) + signed.Length));
                Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
                SHA256.HashData(buffer.AsSpan(0, length), hash);
                return new Fingerprint(key, algorithm, BinaryPrimitives.ReadUInt128LittleEndian(hash), BinaryPrimitives.ReadUInt128LittleEndian(hash[16..]));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>A verifier that asks the factory's memory before the key's own provider.</summary>
    private sealed class Remembering(SignatureProvider inner, VerifiedSignatures signatures) : SignatureProvider(inner.Key, inner.Algorithm)
    {
        public SignatureProvider Inner => inner;

        public override bool Verify(byte[] input, byte[] signature) =>
            signatures.Verify(inner, input, signature, () => inner.Verify(input, signature));

        public override bool Verify(byte[] input, int inputOffset, int inputLength, byte[] signature, int signatureOffset, int signatureLength) =>
            signatures.Verify(
                inner,
                input.AsSpan(inputOffset, inputLength),
                signature.AsSpan(signatureOffset, signatureLength),
                () => inner.Verify(input, inputOffset, inputLength, signature, signatureOffset, signatureLength));

        public override byte[] Sign(byte[] input) => inner.Sign(input);

        public override byte[] Sign(byte[] input, int offset, int count) => inner.Sign(input, offset, count);

        protected override void Dispose(bool disposing)
        {
            // The inner provider belongs to the factory's cache and is released through it.
        }
    }
}
