using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.Identity.Infrastructure;

namespace Telemedicina.Identity.Application;

/// <summary>
/// Counts failed logins for e-mails with no account (or an erased one) the way ASP.NET Core Identity counts them for
/// an account: <see cref="IdentitySettings.MaxFailedAccessAttempts"/> failures in a row lock it for
/// <see cref="IdentitySettings.LockoutDuration"/>, the failure that locks already answers "locked", and the count starts
/// again after the lockout. Without it, five wrong passwords told a registered e-mail (423) from an unknown one (401
/// for ever). Shared by all silos (PostgreSQL); the e-mail is kept only as a keyed hash.
/// </summary>
internal sealed class UnknownAccountLockout(NpgsqlDataSource db, KeyedHasher hasher, IOptions<IdentitySettings> settings, TimeProvider clock)
{
    // One statement: the row lock orders concurrent attempts at one e-mail, as the account row does for a real one.
    internal const string FailSql =
        """
        INSERT INTO identity.unknown_account_failures AS f (email_hash, failed_count, lockout_end, updated_at)
        VALUES (@hash, CASE WHEN @max <= 1 THEN 0 ELSE 1 END, CASE WHEN @max <= 1 THEN @lockoutEnd END, @now)
        ON CONFLICT (email_hash) DO UPDATE SET
            failed_count = CASE
                WHEN f.lockout_end > @now THEN f.failed_count
                WHEN f.failed_count + 1 >= @max THEN 0
                ELSE f.failed_count + 1 END,
            lockout_end = CASE
                WHEN f.lockout_end > @now THEN f.lockout_end
                WHEN f.failed_count + 1 >= @max THEN @lockoutEnd
                ELSE f.lockout_end END,
            updated_at = @now
        RETURNING coalesce(lockout_end > @now, false)
        """;

    /// <summary>Records a failed login for <paramref name="normalizedEmail"/>; true when that e-mail is now locked out.</summary>
    public async Task<bool> FailAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var hash = await hasher.HashAsync("login-email:" + normalizedEmail, cancellationToken);
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(FailSql,
            new { hash, max = settings.Value.MaxFailedAccessAttempts, now, lockoutEnd = now + settings.Value.LockoutDuration },
            cancellationToken: cancellationToken));
    }
}

/// <summary>
/// Deletes the failure counts of unknown e-mails nobody has tried for <see cref="KeptFor"/>: someone spraying e-mails
/// adds a row for each. (An account's own count is kept until a login succeeds; the difference shows only to someone
/// who waits that long between attempts.)
/// </summary>
internal sealed class UnknownAccountFailuresRetention(NpgsqlDataSource db) : IRetentionTask
{
    internal static readonly TimeSpan KeptFor = TimeSpan.FromDays(30);

    internal const string DeleteSql =
        """
        DELETE FROM identity.unknown_account_failures WHERE email_hash IN (
            SELECT email_hash FROM identity.unknown_account_failures WHERE updated_at < @cutoff ORDER BY updated_at LIMIT @batch FOR UPDATE SKIP LOCKED)
        """;

    public string What => "failed logins of unknown e-mails";

    public async Task<int> ApplyAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(
            new CommandDefinition(DeleteSql, new { cutoff = now - KeptFor, batch = RefreshTokenRetention.BatchSize }, cancellationToken: cancellationToken));
    }
}
