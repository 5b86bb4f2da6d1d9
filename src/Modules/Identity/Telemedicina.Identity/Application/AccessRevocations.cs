using System.Collections.Frozen;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Identity.Application;

/// <summary>
/// Ends an account's sessions at once on every silo. Access tokens are stateless and lived their 15 minutes after an
/// admin locked the account (a locked patient still booked). Revoking writes the time to PostgreSQL and this silo's
/// set; each silo reads the revocations of the last token lifetime every <see cref="IdentitySettings.RevocationRefresh"/>,
/// so a request is checked against memory, never the database. Tokens carry their issue time in milliseconds
/// (<see cref="TokenService.IssuedAtMillisecondsClaim"/>), so a login in the same second as a revocation is kept.
/// </summary>
internal sealed partial class AccessRevocations(
    NpgsqlDataSource db, IOptions<IdentitySettings> settings, TimeProvider clock, ILogger<AccessRevocations> logger)
    : BackgroundService, IAccessRevocations
{
    private readonly Lock _gate = new();
    private FrozenDictionary<Guid, DateTimeOffset> _revoked = FrozenDictionary<Guid, DateTimeOffset>.Empty;
    private FrozenDictionary<Guid, DateTimeOffset> _sessions = FrozenDictionary<Guid, DateTimeOffset>.Empty;

    public event Action<IReadOnlyCollection<Guid>>? Revoked;

    public event Action<IReadOnlyCollection<Guid>>? SessionsRevoked;

    /// <summary>How far back revocations matter: a token issued before that has expired anyway.</summary>
    private TimeSpan Window => settings.Value.AccessTokenLifetime + settings.Value.ClockSkew + TimeSpan.FromMinutes(1);

    public bool IsRevoked(Guid userId, DateTimeOffset issuedAt) =>
        _revoked.TryGetValue(userId, out var revokedAt) && issuedAt.ToUnixTimeMilliseconds() < revokedAt.ToUnixTimeMilliseconds();

    /// <summary>Whether the session (refresh-token family) <paramref name="sessionId"/> was ended: by its logout, or a stolen refresh token.</summary>
    public bool IsSessionRevoked(Guid sessionId) => _sessions.ContainsKey(sessionId);

    /// <summary>Ends one session's access tokens (the account's others go on); effective on this silo at once.</summary>
    public async Task RevokeSessionAsync(Guid sessionId, NpgsqlConnection connection)
    {
        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(
            "INSERT INTO identity.session_revocations (family_id, revoked_at) VALUES (@sessionId, @now) ON CONFLICT (family_id) DO NOTHING",
            new { sessionId, now });
        MergeSessions([(sessionId, now)]);
    }

    /// <summary>Ends every session of <paramref name="userId"/> issued until now; effective on this silo at once.</summary>
    public async Task RevokeAsync(Guid userId, NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(
            """
            INSERT INTO identity.access_revocations (user_id, revoked_at) VALUES (@userId, @now)
            ON CONFLICT (user_id) DO UPDATE SET revoked_at = greatest(identity.access_revocations.revoked_at, excluded.revoked_at)
            """,
            new { userId, now }, transaction);
        Merge(new Dictionary<Guid, DateTimeOffset> { [userId] = now });
    }

    /// <summary>Reads the revocations other silos wrote (and forgets those older than any live token).</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow() - Window;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(Guid UserId, DateTimeOffset RevokedAt)>(new CommandDefinition(
            "SELECT user_id, revoked_at FROM identity.access_revocations WHERE revoked_at > @since", new { since }, cancellationToken: cancellationToken));
        Merge(rows.ToDictionary(r => r.UserId, r => r.RevokedAt), since);
        var sessions = await connection.QueryAsync<(Guid FamilyId, DateTimeOffset RevokedAt)>(new CommandDefinition(
            "SELECT family_id, revoked_at FROM identity.session_revocations WHERE revoked_at > @since", new { since }, cancellationToken: cancellationToken));
        MergeSessions(sessions, since);
    }

    private void MergeSessions(IEnumerable<(Guid FamilyId, DateTimeOffset RevokedAt)> read, DateTimeOffset? forgetBefore = null)
    {
        List<Guid> added = [];
        lock (_gate)
        {
            var next = new Dictionary<Guid, DateTimeOffset>(_sessions.Where(r => forgetBefore is null || r.Value > forgetBefore));
            foreach (var (familyId, revokedAt) in read)
            {
                if (next.TryAdd(familyId, revokedAt))
                {
                    added.Add(familyId);
                }
            }

            _sessions = next.ToFrozenDictionary();
        }

        if (added.Count > 0)
        {
            SessionsRevoked?.Invoke(added);
        }
    }

    private void Merge(Dictionary<Guid, DateTimeOffset> read, DateTimeOffset? forgetBefore = null)
    {
        List<Guid> added;
        lock (_gate)
        {
            var next = new Dictionary<Guid, DateTimeOffset>(_revoked.Where(r => forgetBefore is null || r.Value > forgetBefore));
            added = [];
            foreach (var (userId, revokedAt) in read)
            {
                if (!next.TryGetValue(userId, out var known) || known < revokedAt)
                {
                    next[userId] = revokedAt;
                    added.Add(userId);
                }
            }

            _revoked = next.ToFrozenDictionary();
        }

        if (added.Count > 0)
        {
            Revoked?.Invoke(added);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = settings.Value.RevocationRefresh;
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // The first silo of a new database starts this before its migrations have run: soon again, quietly.
                delay = TimeSpan.FromSeconds(1);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // The database is away: the next round (the requests fail meanwhile anyway).
                LogRefreshFailed(logger, e.GetType().Name + ": " + e.Message);
            }

            try
            {
                await Task.Delay(delay, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the access revocations: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}

/// <summary>Deletes revocations older than any access token that could still be presented.</summary>
internal sealed class AccessRevocationsRetention(NpgsqlDataSource db) : IRetentionTask
{
    public string What => "old access revocations";

    public async Task<int> ApplyAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM identity.access_revocations WHERE revoked_at < @cutoff", new { cutoff = now.AddDays(-1) }, cancellationToken: cancellationToken))
            + await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM identity.session_revocations WHERE revoked_at < @cutoff", new { cutoff = now.AddDays(-1) }, cancellationToken: cancellationToken));
    }
}
