using System.Globalization;
using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;

namespace Telemedicina.Identity.Application;

/// <summary>A hub ticket and when it stops opening a connection.</summary>
internal sealed record HubTicket(string Ticket, DateTimeOffset ExpiresAt);

/// <summary>
/// Single-use tickets for the hub's WebSocket. Browsers cannot set headers on a WebSocket, so the hub takes its token
/// from the URL's <c>access_token</c>, and URLs end up in the load balancer's access logs. A page that passes its
/// access token there leaves a token good for every API for its remaining lifetime in every log; a ticket opens one
/// hub connection within a minute and nothing else, so the one in a log is already spent.
/// <para>
/// A ticket is a JWT signed like the access tokens with the hub's own audience (<see cref="Audience"/>), which the API
/// refuses, carrying the caller's user, role, name and session: the hub sees the same claims, and a logout or an admin
/// lock ends the connection it opened as it ends any other. Revocations are checked against the issue time of the
/// access token it was issued for, not its own: a lock is not undone by a ticket from a silo that has not heard of it. Its use is recorded in PostgreSQL, so it opens one
/// connection whichever silo the load balancer picks. Clients with a header (the .NET client, outside test clients)
/// may still pass the access token itself, as the contract says.
/// </para>
/// </summary>
internal sealed class HubTickets(TokenSigner signer, NpgsqlDataSource db, IOptions<IdentitySettings> settings, TimeProvider clock)
{
    /// <summary>The audience of hub tickets: the API's, marked as the hub's.</summary>
    public static string AudienceOf(IdentitySettings settings) => settings.Audience + ":hub";

    public string Audience => AudienceOf(settings.Value);

    /// <summary>A ticket for the hub carrying the caller's identity and session (from a validated access token).</summary>
    public HubTicket Issue(ClaimsPrincipal caller)
    {
        var now = clock.GetUtcNow();
        var expires = now + settings.Value.HubTicketLifetime;
        var subject = new AccessTokenSubject(caller.GetId(), caller.FindFirstValue(CurrentUser.RoleClaim) ?? "", caller.FindFirstValue("name") ?? "",
            caller.FindFirstValue(TokenService.SessionClaim) ?? "", CredentialIssuedAt(caller) ?? now);
        return new HubTicket(signer.Sign(Audience, now, expires, subject), expires);
    }

    // The access token's issue time (milliseconds; else its iat, rounded down, so never later than it was).
    private static DateTimeOffset? CredentialIssuedAt(ClaimsPrincipal caller) =>
        long.TryParse(caller.FindFirstValue(TokenService.IssuedAtMillisecondsClaim), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : long.TryParse(caller.FindFirstValue(JwtRegisteredClaimNames.Iat), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;

    /// <summary>Records the ticket's one use; false when it was used before (on any silo) or names no ticket id.</summary>
    public async Task<bool> TryUseAsync(JsonWebToken ticket, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(ticket.Id, "N", out var ticketId))
        {
            return false;
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var recorded = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity.hub_tickets_used (ticket_id, expires_at) VALUES (@ticketId, @expiresAt) ON CONFLICT DO NOTHING",
            new { ticketId, expiresAt = new DateTimeOffset(ticket.ValidTo, TimeSpan.Zero) + settings.Value.ClockSkew }, cancellationToken: cancellationToken));
        return recorded == 1;
    }
}

/// <summary>Forgets the uses of hub tickets that have expired (an expired ticket is refused anyway).</summary>
internal sealed class HubTicketsRetention(NpgsqlDataSource db) : IRetentionTask
{
    public string What => "used hub tickets";

    public async Task<int> ApplyAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM identity.hub_tickets_used WHERE expires_at < @now", new { now }, cancellationToken: cancellationToken));
    }
}
