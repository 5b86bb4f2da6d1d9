namespace Telemedicina.Grains;

/// <summary>Reads of other grains that a grain waits for only so long (see <see cref="ConsultationRoomGrain.PresenceReadTimeout"/>).</summary>
internal static class BoundedReads
{
    /// <summary>
    /// The answer of <paramref name="read"/> if it comes within <paramref name="bound"/>; otherwise a
    /// <see cref="TimeoutException"/>, and the read's own failure, if it fails later when nobody waits for it any more,
    /// is observed rather than left unobserved.
    /// </summary>
    public static async Task<T> Within<T>(this Task<T> read, TimeSpan bound)
    {
        try
        {
            return await read.WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }
}
