using System.Net;
using System.Text.RegularExpressions;

namespace PgHa.Agent.Configuration;

internal static partial class AgentOptionsValidator
{
    private static readonly string[] LocalAuthenticationMethods = ["peer", "trust", "scram-sha-256", "md5"];

    static partial void ValidateSecurity(AgentOptions o, List<string> errors)
    {
        // These values reach PostgreSQL's configuration files, its tools' arguments and SQL: only plain shapes pass.
        if (TryParseAddress(o.Listen, out var listenHost, out _) && !IsHost(listenHost))
            errors.Add($"Listen must name an IP address or a DNS host name (was '{o.Listen}').");
        if (o.ConnectAddress is not null && TryParseAddress(o.ConnectAddress, out var connectHost, out _) && !IsHost(connectHost))
            errors.Add($"ConnectAddress must name an IP address or a DNS host name (was '{o.ConnectAddress}').");
        AbsolutePath(errors, "DataDirectory", o.DataDirectory);
        AbsolutePath(errors, "BinDirectory", o.BinDirectory);
        if (o.OsUser is not null && !IsRoleName(o.OsUser))
            errors.Add($"OsUser must be a plain user name (was '{o.OsUser}').");
        RoleName(errors, "Superuser", o.Superuser);
        if (o.ReplicationUser is not null)
            RoleName(errors, "ReplicationUser", o.ReplicationUser);
        if (o.RewindUser is not null)
            RoleName(errors, "RewindUser", o.RewindUser);
        Credentials(errors, o, "Replication", o.ReplicationUser, o.ReplicationPassword);
        Credentials(errors, o, "Rewind", o.RewindUser, o.RewindPassword);
        if (o.ReplicationUser is not null && o.ReplicationUser == o.RewindUser && o.ReplicationPassword != o.RewindPassword)
            errors.Add("ReplicationUser and RewindUser are one role: give it one password.");
        foreach (var (name, password) in new[] { ("SuperuserPassword", o.SuperuserPassword), ("ReplicationPassword", o.ReplicationPassword), ("RewindPassword", o.RewindPassword) })
        {
            // initdb's --pwfile and a passfile read one line per password.
            if (password is not null && password.Any(c => c is '\n' or '\r' or '\0'))
                errors.Add($"{name} must not contain a line break or a NUL character.");
        }

        if (!LocalAuthenticationMethods.Contains(o.LocalAuthentication, StringComparer.Ordinal))
            errors.Add($"LocalAuthentication must be one of {string.Join(", ", LocalAuthenticationMethods)} (was '{o.LocalAuthentication}').");
        else if (o.LocalAuthentication is "scram-sha-256" or "md5" && o.SuperuserPassword is null)
            errors.Add($"LocalAuthentication {o.LocalAuthentication} needs SuperuserPassword: the superuser could not log in over the socket otherwise.");
    }

    private static void Credentials(List<string> errors, AgentOptions o, string area, string? user, string? password)
    {
        if (password is not null && user is null)
            errors.Add($"{area}Password needs {area}User.");
        else if (user is not null && user == o.Superuser && password is not null && password != o.SuperuserPassword)
            errors.Add($"{area}User is the superuser: leave {area}Password out (the superuser's password is used).");
        else if (user is not null && user != o.Superuser && o.SuperuserPassword is not null && password is null)
            errors.Add($"{area}User {user} needs {area}Password: the cluster authenticates TCP connections with passwords.");
        if (password is { Length: 0 })
            errors.Add($"{area}Password must not be empty.");
    }

    /// <summary>An IP address or a DNS host name (RFC 1123 labels): nothing a shell, a conninfo or a config file could read as more.</summary>
    internal static bool IsHost(string host)
        => IPAddress.TryParse(host, out _) || (host.Length <= 253 && HostNamePattern().IsMatch(host));

    private static void AbsolutePath(List<string> errors, string name, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return; // reported as required
        if (!Path.IsPathFullyQualified(value) || value.Any(c => char.IsControl(c) || c is '\'' or '"' or '\\'))
            errors.Add($"{name} must be an absolute path without quotes, backslashes or control characters (was '{value}').");
    }

    private static void RoleName(List<string> errors, string name, string value)
    {
        if (!IsRoleName(value))
            errors.Add($"{name} must be a role name of letters, digits, '_', '-' or '.', starting with a letter or '_' (was '{value}').");
    }

    private static bool IsRoleName(string value) => RoleNamePattern().IsMatch(value);

    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex HostNamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex RoleNamePattern();
}
