using System.Threading.RateLimiting;
using Microsoft.Extensions.Configuration;

namespace Telemedicina.Identity.Application;

/// <summary>
/// Per-account login throttle (on top of the per-IP policy and Identity's lockout): a sliding
/// window per normalized e-mail, so one account cannot be hammered from many addresses.
/// </summary>
internal sealed class AccountLoginLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public AccountLoginLimiter(IConfiguration configuration)
    {
        var permits = configuration.GetValue("RateLimits:LoginPerAccount:PermitPerMinute", 10);
        _limiter = PartitionedRateLimiter.Create<string, string>(account =>
            RateLimitPartition.GetSlidingWindowLimiter(account, _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = TimeSpan.FromMinutes(1),
                SegmentsPerWindow = 6,
                QueueLimit = 0,
            }));
    }

    public bool TryAcquire(string email)
    {
        using var lease = _limiter.AttemptAcquire(email.Trim().ToUpperInvariant());
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
