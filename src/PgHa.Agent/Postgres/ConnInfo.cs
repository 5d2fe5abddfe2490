using System.Text;

namespace PgHa.Agent.Postgres;

/// <summary>
/// libpq's <c>key=value</c> connection strings: every value written in single quotes with <c>'</c> and <c>\</c>
/// backslash-escaped, so no value (a password with a space or a quote, say) can end early or add a keyword; and read
/// back, quoted or not, as libpq's <c>conninfo_parse</c> does.
/// </summary>
internal static class ConnInfo
{
    /// <summary>Writes the pairs whose value is not <see langword="null"/>, in order.</summary>
    public static string Build(params ReadOnlySpan<(string Key, string? Value)> pairs)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (value is null)
                continue;
            if (text.Length > 0)
                text.Append(' ');
            text.Append(key).Append("='");
            foreach (var c in value)
            {
                if (c is '\'' or '\\')
                    text.Append('\\');
                text.Append(c);
            }

            text.Append('\'');
        }

        return text.ToString();
    }

    /// <summary>Reads a <c>key=value</c> connection string; <see langword="null"/> if it is malformed (or a URI).</summary>
    public static IReadOnlyDictionary<string, string>? Parse(string conninfo)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (true)
        {
            SkipSpace(conninfo, ref i);
            if (i == conninfo.Length)
                return pairs;
            var keyStart = i;
            while (i < conninfo.Length && conninfo[i] != '=' && !char.IsWhiteSpace(conninfo[i]))
                i++;
            var key = conninfo[keyStart..i];
            SkipSpace(conninfo, ref i);
            if (key.Length == 0 || i == conninfo.Length || conninfo[i] != '=')
                return null;
            i++;
            SkipSpace(conninfo, ref i);
            var value = new StringBuilder();
            if (i < conninfo.Length && conninfo[i] == '\'')
            {
                i++;
                while (true)
                {
                    if (i == conninfo.Length)
                        return null; // unterminated quote
                    var c = conninfo[i++];
                    if (c == '\'')
                        break;
                    if (c == '\\' && i < conninfo.Length)
                        c = conninfo[i++];
                    value.Append(c);
                }
            }
            else
            {
                while (i < conninfo.Length && !char.IsWhiteSpace(conninfo[i]))
                {
                    var c = conninfo[i++];
                    if (c == '\\' && i < conninfo.Length)
                        c = conninfo[i++];
                    value.Append(c);
                }
            }

            pairs[key] = value.ToString();
        }
    }

    /// <summary>The <c>host:port</c> a connection string points at (port 5432 if it names none), or <see langword="null"/>.</summary>
    public static string? HostAndPort(string? conninfo)
    {
        if (string.IsNullOrWhiteSpace(conninfo) || Parse(conninfo) is not { } pairs || !pairs.TryGetValue("host", out var host) || host.Length == 0)
            return null;
        var port = pairs.GetValueOrDefault("port") is { Length: > 0 } p ? p : "5432";
        return $"{host}:{port}";
    }

    private static void SkipSpace(string text, ref int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
            i++;
    }
}
