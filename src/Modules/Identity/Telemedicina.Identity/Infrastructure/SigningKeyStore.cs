using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Telemedicina.Identity.Infrastructure;

/// <summary>
/// JWT signing keys shared by every silo through PostgreSQL. One ES256 key per rotation period
/// (a unique <c>generation</c> column makes concurrent creation safe); the next period's key is
/// created ahead of time so every silo already trusts it when it starts signing.
/// </summary>
internal sealed partial class SigningKeyStore(
    NpgsqlDataSource db,
    IDataProtectionProvider dataProtection,
    IOptions<IdentitySettings> settings,
    TimeProvider clock,
    ILogger<SigningKeyStore> logger) : BackgroundService
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);
    private readonly IDataProtector _protector = dataProtection.CreateProtector("Telemedicina.Identity.SigningKeys.v1");
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private volatile KeySet _keys = KeySet.Empty;
    private long _lastMissRefreshTicks;

    /// <summary>The key to sign new tokens with.</summary>
    public SecurityKey CurrentSigningKey => _keys.Current ?? throw new InvalidOperationException("Signing keys are not loaded yet (database unavailable?).");

    /// <summary>Keys that may have signed a token still valid; refreshes on an unknown key id (at most every 5 s).</summary>
    public IEnumerable<SecurityKey> ResolveValidationKeys(string? keyId)
    {
        var keys = _keys;
        if (keyId is not null && !keys.ById.ContainsKey(keyId))
        {
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _lastMissRefreshTicks);
            if (now - last > 5000 && Interlocked.CompareExchange(ref _lastMissRefreshTicks, now, last) == last)
            {
                try
                {
                    // Rare (a key created moments ago by another silo): block briefly for one reload.
                    RefreshAsync(CancellationToken.None).GetAwaiter().GetResult();
                    keys = _keys;
                }
                catch (NpgsqlException)
                {
                }
            }
        }

        return keyId is not null && keys.ById.TryGetValue(keyId, out var key) ? [key] : keys.ById.Values;
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var now = clock.GetUtcNow();
            var rotation = settings.Value.SigningKeyRotation;
            var generation = now.ToUnixTimeSeconds() / (long)rotation.TotalSeconds;
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await EnsureKeyAsync(connection, generation, rotation, cancellationToken);
            await EnsureKeyAsync(connection, generation + 1, rotation, cancellationToken);

            var rows = await connection.QueryAsync<(string Id, long Generation, string ProtectedPrivateKey)>(
                "SELECT id, generation, protected_private_key FROM identity.signing_keys WHERE expires_at > @now ORDER BY generation",
                new { now });
            var byId = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
            SecurityKey? current = null;
            foreach (var row in rows)
            {
                var key = _keys.ById.TryGetValue(row.Id, out var known) ? known : Load(row.Id, row.ProtectedPrivateKey);
                byId[row.Id] = key;
                if (row.Generation <= generation)
                {
                    current = key;
                }
            }

            _keys = new KeySet(current, byId);
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = RefreshInterval;
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogRefreshFailed(logger, e);
                delay = TimeSpan.FromSeconds(2);
            }

            try
            {
                await Task.Delay(_keys.Current is null ? TimeSpan.FromSeconds(1) : delay, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task EnsureKeyAsync(NpgsqlConnection connection, long generation, TimeSpan rotation, CancellationToken cancellationToken)
    {
        var exists = await connection.ExecuteScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM identity.signing_keys WHERE generation = @generation)", new { generation });
        if (exists)
        {
            return;
        }

        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var activates = DateTimeOffset.FromUnixTimeSeconds(generation * (long)rotation.TotalSeconds);
        var lifetime = settings.Value.AccessTokenLifetime + TimeSpan.FromMinutes(5);
        var inserted = await connection.ExecuteAsync(
            """
            INSERT INTO identity.signing_keys (id, generation, algorithm, protected_private_key, created_at, activates_at, expires_at)
            VALUES (@id, @generation, 'ES256', @key, @now, @activates, @expires)
            ON CONFLICT (generation) DO NOTHING
            """,
            new
            {
                id = Guid.NewGuid().ToString("N"),
                generation,
                key = _protector.Protect(Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey())),
                now = clock.GetUtcNow(),
                activates,
                expires = activates + rotation + lifetime,
            });
        if (inserted == 1)
        {
            LogKeyCreated(logger, generation);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private ECDsaSecurityKey Load(string id, string protectedKey)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(_protector.Unprotect(protectedKey)), out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = id };
    }

    public override void Dispose()
    {
        _refreshLock.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh JWT signing keys; retrying")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created JWT signing key for rotation period {Generation}")]
    private static partial void LogKeyCreated(ILogger logger, long generation);

    private sealed record KeySet(SecurityKey? Current, IReadOnlyDictionary<string, SecurityKey> ById)
    {
        public static readonly KeySet Empty = new(null, new Dictionary<string, SecurityKey>());
    }
}
