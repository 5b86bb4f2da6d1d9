namespace Telemedicina.Identity;

/// <summary>Configuration section <c>Identity</c>.</summary>
public sealed class IdentitySettings
{
    public const string Section = "Identity";

    /// <summary>Unconfirmed accounts cannot book or be booked (an outside test run may turn this off).</summary>
    public bool RequireConfirmedEmail { get; set; } = true;

    public string Issuer { get; set; } = "telemedicina";

    public string Audience { get; set; } = "telemedicina-api";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a hub ticket (<c>POST /api/v1/identity/hub-ticket</c>) may wait before it opens its one hub connection.
    /// The web asks for one right before each connect or reconnect.
    /// </summary>
    public TimeSpan HubTicketLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Tolerance for clock differences between silos when checking token lifetimes.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    public TimeSpan TwoFactorChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one JWT signing key is used before the next one takes over.</summary>
    public TimeSpan SigningKeyRotation { get; set; } = TimeSpan.FromDays(30);

    public int MaxFailedAccessAttempts { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often each silo reads the sessions ended on the others (an admin lock, an erasure, a reset) besides being told
    /// of each at once: the longest delay while its listening connection is down.
    /// </summary>
    public TimeSpan RevocationRefresh { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether each silo listens for the sessions ended on the others (PostgreSQL <c>LISTEN</c>) and reads them at once.
    /// Off, they are read every <see cref="RevocationRefresh"/> only (tests use it to model a silo that missed one).
    /// </summary>
    public bool RevocationNotifications { get; set; } = true;
}
