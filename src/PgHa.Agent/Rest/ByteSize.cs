using System.Globalization;

namespace PgHa.Agent.Rest;

/// <summary>
/// Parses sizes the way Patroni's <c>?lag=</c> does: bytes, or a number with <c>B</c>, <c>kB</c>, <c>MB</c>, <c>GB</c>,
/// <c>TB</c> (case-sensitive, powers of 1024). Negative, non-finite and sizes beyond <see cref="long.MaxValue"/> bytes are
/// rejected, never wrapped by the cast.
/// </summary>
internal static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units = [("kB", 1L << 10), ("MB", 1L << 20), ("GB", 1L << 30), ("TB", 1L << 40), ("B", 1L)];

    /// <summary>What an accepted size looks like, for a 400's message.</summary>
    public const string Expected = "a size in bytes, or a number with kB, MB, GB or TB (e.g. 16MB)";

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var s = text.Trim();
        var unit = 1L;
        foreach (var (suffix, factor) in Units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                (s, unit) = (s[..^suffix.Length].TrimEnd(), factor);
                break;
            }
        }

        // AllowDecimalPoint alone still reads "NaN" and "Infinity": only digits and one point get this far.
        if (s.Length == 0 || s.Any(c => c is not (>= '0' and <= '9' or '.'))
            || !double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            return false;
        var total = value * unit;
        // 2^63 is exactly representable; anything at or above it does not fit a long.
        if (!double.IsFinite(total) || total >= 9223372036854775808.0)
            return false;
        bytes = (long)total;
        return true;
    }
}
