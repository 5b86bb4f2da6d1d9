using System.Globalization;

namespace Telemedicina.Bench.Measurement;

/// <summary>
/// The signaling payload of the benchmark: an SDP-looking string ("v=0" first, as the product's hub
/// requires of offers) that carries the sender's <see cref="System.Diagnostics.Stopwatch"/> timestamp and
/// message number, padded to the wanted size. Both parties live in the generator process, so the
/// receiver subtracts timestamps of the same clock.
/// </summary>
internal static class Payload
{
    private const string Prefix = "v=0\r\no=bench ";

    /// <summary>Builds a payload of exactly <paramref name="size"/> characters (at least the header).</summary>
    public static string Create(long timestamp, long messageNumber, int size)
    {
        var header = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{timestamp} {messageNumber}\r\ns=");
        return header.Length >= size ? header : header + new string('x', size - header.Length);
    }

    /// <summary>Reads the timestamp and message number back; false for anything this generator did not write.</summary>
    public static bool TryRead(string payload, out long timestamp, out long messageNumber)
    {
        timestamp = 0;
        messageNumber = 0;
        if (payload is null || !payload.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = payload.AsSpan(Prefix.Length);
        var space = rest.IndexOf(' ');
        if (space <= 0 || !long.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out timestamp))
        {
            return false;
        }

        rest = rest[(space + 1)..];
        var end = rest.IndexOf('\r');
        return end > 0 && long.TryParse(rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out messageNumber);
    }
}
