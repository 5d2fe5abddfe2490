namespace PgHa.Agent.Postgres;

/// <summary>Reads <c>host</c> and <c>port</c> out of a libpq key=value connection string.</summary>
internal static class ConnInfo
{
    public static string? HostAndPort(string? conninfo)
    {
        if (string.IsNullOrWhiteSpace(conninfo))
            return null;
        string? host = null, port = "5432";
        foreach (var pair in conninfo.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2)
                continue;
            if (parts[0] == "host")
                host = parts[1].Trim('\'');
            else if (parts[0] == "port")
                port = parts[1].Trim('\'');
        }

        return host is null ? null : $"{host}:{port}";
    }
}
