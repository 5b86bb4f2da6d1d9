using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace Telemedicina.Identity.Infrastructure;

/// <summary>
/// Keyed hashes (HMAC-SHA256) of sensitive identifiers such as the CPF: equal inputs give equal
/// hashes, so uniqueness and lookup work on encrypted data, but the hash alone reveals nothing
/// without the key. The key is shared by all silos (PostgreSQL, protected by Data Protection).
/// </summary>
internal sealed class KeyedHasher(NpgsqlDataSource db, IDataProtectionProvider dataProtection, TimeProvider clock)
{
    private const string KeyId = "cpf-v1";
    private readonly IDataProtector _protector = dataProtection.CreateProtector("Telemedicina.Identity.LookupKeys.v1");
    private byte[]? _key;

    public async Task<byte[]> HashAsync(string value, CancellationToken cancellationToken)
    {
        var key = _key ??= await LoadOrCreateAsync(cancellationToken);
        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(value));
    }

    /// <summary>Creates the key if missing (called once under the migration lock) and loads it.</summary>
    public async Task<byte[]> LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO identity.lookup_keys (id, protected_key, created_at) VALUES (@id, @key, @now) ON CONFLICT (id) DO NOTHING",
            new { id = KeyId, key = _protector.Protect(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), now = clock.GetUtcNow() });
        var stored = await connection.QuerySingleAsync<string>("SELECT protected_key FROM identity.lookup_keys WHERE id = @id", new { id = KeyId });
        return Convert.FromBase64String(_protector.Unprotect(stored));
    }
}
