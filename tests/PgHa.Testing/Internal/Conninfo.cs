namespace PgHa.Testing.Internal;

/// <summary>Builds libpq connection strings (<c>key=value ...</c>) for replication and pg_rewind.</summary>
internal static class Conninfo
{
    public static string Build(params (string Key, string? Value)[] pairs) =>
        string.Join(' ', pairs.Where(p => p.Value is not null).Select(p => $"{p.Key}={Quote(p.Value!)}"));

    private static string Quote(string value) =>
        value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || c is '\'' or '\\')
            ? value
            : "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
