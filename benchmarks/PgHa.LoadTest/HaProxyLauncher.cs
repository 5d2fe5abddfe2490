using System.Globalization;
using PgHa.Testing;

namespace PgHa.LoadTest;

/// <summary>
/// HAProxy the way it is usually put in front of PostgreSQL: tcp mode, one listener balancing round-robin over the
/// replicas and one for the primary, each server health-checked with <c>option pgsql-check</c>.
/// </summary>
internal static class HaProxyLauncher
{
    public static Task<ProxyProcess> StartAsync(string executable, PgNode primary, IReadOnlyList<PgNode> replicas, int readPort, int writePort, CancellationToken ct)
    {
        var config = string.Create(CultureInfo.InvariantCulture, $"""
            global
                maxconn 4096

            defaults
                mode tcp
                timeout connect 5s
                # Pooled client connections sit idle between cells; the proxy must not cut them.
                timeout client 1h
                timeout server 1h
                default-server inter 1s fall 2 rise 2

            listen pg-read
                bind 127.0.0.1:{readPort}
                balance roundrobin
                option pgsql-check user postgres
            {string.Join('\n', replicas.Select(r => $"    server {r.Name} {r.Endpoint} check"))}

            listen pg-write
                bind 127.0.0.1:{writePort}
                option pgsql-check user postgres
                server {primary.Name} {primary.Endpoint} check
            """);
        return ProxyProcess.StartAsync(
            executable,
            _ => new Dictionary<string, string> { ["haproxy.cfg"] = config },
            root => ["-db", "-f", Path.Combine(root, "haproxy.cfg")],
            readPort,
            ct: ct);
    }
}
