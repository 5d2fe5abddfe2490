using System.Globalization;

namespace PgHa.Client.DependencyInjection;

/// <summary>Reads durations as configuration files write them: <c>"00:00:02"</c>, or a number with a unit (<c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>).</summary>
internal static class DurationText
{
    private static readonly (string Suffix, double Milliseconds)[] Units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        // A bare number would parse as days ("2" is two days): only the colon form is read as a TimeSpan.
        if (text.Contains(':', StringComparison.Ordinal))
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
        // "ms" before "m" and "s": the longest suffix that matches wins.
        foreach (var (suffix, milliseconds) in Units)
        {
            if (!text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                continue;
            var number = text[..^suffix.Length].TrimEnd();
            if (double.TryParse(number, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount)
                && double.IsFinite(amount) && Math.Abs(amount * milliseconds) < TimeSpan.MaxValue.TotalMilliseconds)
            {
                value = TimeSpan.FromMilliseconds(amount * milliseconds);
                return true;
            }

            return false;
        }

        return false;
    }
}
