using System.Globalization;

namespace PgHa.Agent.Rest;

/// <summary>Parses sizes the way Patroni's <c>?lag=</c> does: bytes, or a number with <c>B</c>, <c>kB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c> (case-sensitive, powers of 1024).</summary>
internal static class ByteSize
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var s = text.Trim();
        var unit = 1L;
        foreach (var (suffix, factor) in new[] { ("kB", 1L << 10), ("MB", 1L << 20), ("GB", 1L << 30), ("TB", 1L << 40), ("B", 1L) })
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                (s, unit) = (s[..^suffix.Length].TrimEnd(), factor);
                break;
            }
        }

        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value < 0)
            return false;
        bytes = (long)(value * unit);
        return true;
    }
}
