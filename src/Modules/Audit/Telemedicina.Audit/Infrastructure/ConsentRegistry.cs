using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Telemedicina.Audit.Contracts;

namespace Telemedicina.Audit.Infrastructure;

/// <summary>Consent records in <c>audit.consents</c>; the latest record per type wins. Every record is told to the modules that act on it.</summary>
internal sealed partial class ConsentRegistry(
    NpgsqlDataSource db, IEnumerable<IConsentChangeHandler> handlers, ILogger<ConsentRegistry> logger, TimeProvider clock) : IConsentRegistry
{
    /// <summary>Version of the consent texts currently shown to users.</summary>
    public const string CurrentVersion = "2026-01";

    public async Task<bool> HasConsentAsync(Guid userId, string consentType, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<bool?>(
            "SELECT granted FROM audit.consents WHERE user_id = @userId AND type = @consentType ORDER BY id DESC LIMIT 1",
            new { userId, consentType }) ?? false;
    }

    public async Task RecordAsync(Guid userId, string consentType, bool granted, string? ipAddress, string? userAgent, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            """
            INSERT INTO audit.consents (user_id, type, version, granted, recorded_at, ip_address, user_agent)
            VALUES (@userId, @consentType, @version, @granted, @at, @ipAddress, @userAgent)
            """,
            new { userId, consentType, version = CurrentVersion, granted, at = clock.GetUtcNow(), ipAddress, userAgent });
        foreach (var handler in handlers)
        {
            try
            {
                // Not the request's token: a person who revokes and closes the page must not leave a call half ended.
                await handler.OnConsentChangedAsync(userId, consentType, granted, CancellationToken.None);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogHandlerFailed(logger, e, handler.GetType().Name, consentType, userId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Handler} did not act on the {ConsentType} consent change of user {UserId}; the record stands")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string handler, string consentType, Guid userId);

    public async Task<IReadOnlyList<ConsentRecord>> ListCurrentAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ConsentRecord>(
            """
            SELECT DISTINCT ON (type) type AS Type, version AS Version, granted AS Granted, recorded_at AS RecordedAt
            FROM audit.consents WHERE user_id = @userId ORDER BY type, id DESC
            """,
            new { userId });
        return rows.ToList();
    }
}

/// <summary>The current answer for one consent type.</summary>
internal sealed class ConsentRecord
{
    public string Type { get; init; } = "";

    public string Version { get; init; } = "";

    public bool Granted { get; init; }

    public DateTimeOffset RecordedAt { get; init; }
}
