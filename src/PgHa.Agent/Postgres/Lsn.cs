using System.Globalization;

namespace PgHa.Agent.Postgres;

/// <summary>WAL positions as PostgreSQL prints them (<c>16/B374D848</c>) and as integers (bytes from 0/0).</summary>
internal static class Lsn
{
    public static long Parse(string text)
    {
        var parts = text.Trim().Split('/');
        if (parts.Length != 2
            || !uint.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
            throw new FormatException($"'{text}' is not a WAL position (X/X).");
        return (long)(((ulong)high << 32) | low);
    }

    public static string Format(long position)
        => string.Create(CultureInfo.InvariantCulture, $"{(ulong)position >> 32:X}/{(ulong)position & 0xFFFFFFFF:X}");
}
