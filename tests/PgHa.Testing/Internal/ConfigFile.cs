namespace PgHa.Testing.Internal;

/// <summary>Edits PostgreSQL configuration files (<c>name = 'value'</c> lines).</summary>
internal static class ConfigFile
{
    /// <summary>Quotes a value for a configuration file, where backslashes are escapes and quotes are doubled.</summary>
    public static string Quote(string value) =>
        "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    public static void Append(string path, string header, IEnumerable<KeyValuePair<string, string>> settings)
    {
        var lines = settings.Select(s => $"{s.Key} = {Quote(s.Value)}").Prepend("").Prepend($"# {header}");
        File.AppendAllLines(path, lines);
    }

    /// <summary>Replaces or adds each setting (a <see langword="null"/> value removes it), keeping other lines as they are.</summary>
    /// <remarks>Written in place, not renamed over, so the file keeps the owner PostgreSQL needs.</remarks>
    public static void Upsert(string path, IReadOnlyDictionary<string, string?> settings, Action<string> own)
    {
        var existed = File.Exists(path);
        var kept = existed
            ? File.ReadAllLines(path).Where(line => KeyOf(line) is not { } key || !settings.ContainsKey(key))
            : [];
        var added = settings.Where(s => s.Value is not null).Select(s => $"{s.Key} = {Quote(s.Value!)}");
        File.WriteAllLines(path, kept.Concat(added).ToList());
        if (!existed)
            own(path);
    }

    private static string? KeyOf(string line)
    {
        var trimmed = line.TrimStart();
        if (trimmed.Length == 0 || trimmed[0] == '#')
            return null;
        var end = trimmed.IndexOfAny(['=', ' ', '\t']);
        return end <= 0 ? null : trimmed[..end];
    }
}
