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
/// set, and notifies the other silos (PostgreSQL <c>NOTIFY</c>, sent when the revocation commits), which read the
/// revocations of the last token lifetime at once; a request is checked against memory, never the database. Each silo
/// also reads them every <see cref="IdentitySettings.RevocationRefresh"/>, which bounds the delay when its listening
/// connection is down. Tokens carry their issue time in milliseconds (<see cref="TokenService.IssuedAtMillisecondsClaim"/>),
/// so a login in the same second as a revocation is kept.
/// </summary>
internal sealed partial class AccessRevocations(
    NpgsqlDataSource db, IOptions<IdentitySettings> settings, TimeProvider clock, ILogger<AccessRevocations> logger)
    : BackgroundService, IAccessRevocations
{
    /// <summary>The PostgreSQL notification channel a revocation is announced on.</summary>
    internal const string Channel = "identity_revocations";

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
            $"INSERT INTO identity.session_revocations (family_id, revoked_at) VALUES (@sessionId, @now) ON CONFLICT (family_id) DO NOTHING; NOTIFY {Channel}",
            new { sessionId, now });
        MergeSessions([(sessionId, now)]);
    }

    /// <summary>Ends every session of <paramref name="userId"/> issued until now; effective on this silo at once.</summary>
    public async Task RevokeAsync(Guid userId, NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        var now = clock.GetUtcNow();
        await connection.ExecuteAsync(
            $"""
            INSERT INTO identity.access_revocations (user_id, revoked_at) VALUES (@userId, @now)
            ON CONFLICT (user_id) DO UPDATE SET revoked_at = greatest(identity.access_revocations.revoked_at, excluded.revoked_at);
            NOTIFY {Channel}
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

    // Reads the revocations, then waits for the next notification or the poll interval, whichever comes first. The
    // listening connection is kept out of the pool (it is held for the silo's lifetime). When it breaks, or opening it
    // fails (the database can cut it while LISTEN runs), the poll goes on and it is opened again: at once the first
    // time, then after a growing pause (1 s, 2 s, ... up to the interval) while each new one fails or breaks soon after
    // it opened, so a database or a proxy that keeps cutting it is not hammered with connection attempts.
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        NpgsqlConnection? listening = null;
        var listeningSince = DateTimeOffset.MinValue;
        var quickBreaks = 0;
        TimeSpan? listenAgainIn = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var delay = settings.Value.RevocationRefresh;
                if (listening is null && settings.Value.RevocationNotifications)
                {
                    try
                    {
                        listening = await ListenAsync(stoppingToken);
                        listeningSince = clock.GetUtcNow();
                        listenAgainIn = null;
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                    {
                        // Counts as a connection that broke at once.
                        LogListenFailed(logger, e.GetType().Name + ": " + e.Message);
                        quickBreaks++;
                        listenAgainIn = ListenPause(quickBreaks, delay) ?? TimeSpan.Zero;
                    }
                }

                try
                {
                    await RefreshAsync(stoppingToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
                {
                    // The first silo of a new database starts this before its migrations have run: soon again, quietly.
                    delay = TimeSpan.FromSeconds(1);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    // The database is away: the next round (the requests fail meanwhile anyway).
                    LogRefreshFailed(logger, e.GetType().Name + ": " + e.Message);
                    listening = await DropAsync(listening);
                }

                try
                {
                    if (listening is not null)
                    {
                        // True on a notification (possibly this silo's own), false when the interval passed.
                        await listening.WaitAsync(delay, stoppingToken);
                    }
                    else
                    {
                        await Task.Delay(listenAgainIn < delay ? listenAgainIn.Value : delay, clock, stoppingToken);
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    LogListenFailed(logger, e.GetType().Name + ": " + e.Message);
                    listening = await DropAsync(listening);
                    quickBreaks = clock.GetUtcNow() - listeningSince < QuickBreak ? quickBreaks + 1 : 0;
                    if (ListenPause(quickBreaks, delay) is { } pause && !await PauseAsync(pause, stoppingToken))
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            await DropAsync(listening);
        }
    }

    /// <summary>A listening connection that breaks sooner than this after it opened counts towards a pause before the next.</summary>
    internal static readonly TimeSpan QuickBreak = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The pause before listening again after the <paramref name="quickBreaks"/>-th listening connection in a row broke
    /// soon after it opened or failed to open: none for the first, then 1 s, 2 s, 4 s ... never longer than the poll
    /// <paramref name="interval"/>, which reads the revocations meanwhile anyway.
    /// </summary>
    internal static TimeSpan? ListenPause(int quickBreaks, TimeSpan interval)
    {
        if (quickBreaks <= 1)
        {
            return null;
        }

        var pause = TimeSpan.FromSeconds(Math.Pow(2, Math.Min(quickBreaks - 2, 16)));
        return pause < interval ? pause : interval;
    }

    private async Task<bool> PauseAsync(TimeSpan pause, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(pause, clock, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<NpgsqlConnection> ListenAsync(CancellationToken cancellationToken)
    {
        await using var template = db.CreateConnection();
        var connection = template.CloneWith(new NpgsqlConnectionStringBuilder(template.ConnectionString) { Pooling = false, KeepAlive = 30 }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition($"LISTEN {Channel}", cancellationToken: cancellationToken));
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<NpgsqlConnection?> DropAsync(NpgsqlConnection? connection)
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection that hears of revocations; reading them every interval until it is back: {Reason}")]
    private static partial void LogListenFailed(ILogger logger, string reason);

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
