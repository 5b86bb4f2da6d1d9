using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Telemedicina.Audit.Contracts;

namespace Telemedicina.Identity.Application;

/// <summary>
/// Deletes refresh tokens one <see cref="IdentitySettings.RefreshTokenLifetime"/> after they expired. Every rotation
/// stores a token (about 30 a day per active user with 15-minute access tokens) and none was ever deleted. An expired
/// token is refused either way; a used one is kept that long after its expiry so that presenting it again still
/// revokes its family (<see cref="TokenService"/>'s reuse detection), which matters within minutes of its use.
/// </summary>
internal sealed class RefreshTokenRetention(NpgsqlDataSource db, IOptions<IdentitySettings> settings) : IRetentionTask
{
    /// <summary>Rows deleted per run at most, so one run never holds many locks or a long transaction.</summary>
    internal const int BatchSize = 5_000;

    internal const string DeleteSql =
        """
        DELETE FROM identity.refresh_tokens WHERE id IN (
            SELECT id FROM identity.refresh_tokens WHERE expires_at < @cutoff ORDER BY expires_at LIMIT @batch FOR UPDATE SKIP LOCKED)
        """;

    public string What => "expired refresh tokens";

    public async Task<int> ApplyAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(
            new CommandDefinition(DeleteSql, new { cutoff = now - settings.Value.RefreshTokenLifetime, batch = BatchSize }, cancellationToken: cancellationToken));
    }
}
