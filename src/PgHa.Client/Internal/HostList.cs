using System.Globalization;
using PgHa.Client.Routing.Internal;
using PgHa.Client.Topology;

namespace PgHa.Client.Internal;

/// <summary>Parses Npgsql's <c>Host</c> list (<c>h1:5432,h2,[::1]:5433</c>) into distinct end points.</summary>
internal static class HostList
{
    public static NodeEndPoint[] Parse(string? hosts, int defaultPort)
    {
        if (string.IsNullOrWhiteSpace(hosts))
            throw new ArgumentException("The connection string has no Host: give one or more hosts, e.g. Host=db1:5432,db2:5432.", nameof(hosts));

        var entries = hosts.Split(',');
        if (entries.Length > NodeSelector.MaxNodes)
            throw new ArgumentException($"The connection string lists {entries.Length} hosts; at most {NodeSelector.MaxNodes} are supported.", nameof(hosts));

        var endPoints = new NodeEndPoint[entries.Length];
        var seen = new HashSet<NodeEndPoint>();
        for (var i = 0; i < entries.Length; i++)
        {
            var endPoint = ParseOne(entries[i].Trim(), defaultPort, hosts);
            if (!seen.Add(endPoint with { Host = endPoint.Host.ToUpperInvariant() }))
                throw new ArgumentException($"Host {endPoint} is listed more than once in '{hosts}'.", nameof(hosts));
            endPoints[i] = endPoint;
        }

        return endPoints;
    }

    private static NodeEndPoint ParseOne(string entry, int defaultPort, string hosts)
    {
        if (entry.Length == 0)
            throw new ArgumentException($"The host list '{hosts}' has an empty entry.", nameof(hosts));

        if (entry[0] == '[')
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
                throw new ArgumentException($"Host '{entry}' opens a bracket it does not close.", nameof(hosts));
            var rest = entry[(close + 1)..];
            if (rest.Length == 0)
                return new NodeEndPoint(entry[1..close], defaultPort);
            if (rest[0] != ':')
                throw new ArgumentException($"Host '{entry}' has text after its closing bracket that is not ':port'.", nameof(hosts));
            return new NodeEndPoint(entry[1..close], ParsePort(rest[1..], entry, hosts));
        }

        var colon = entry.LastIndexOf(':');
        // More than one colon without brackets is a bare IPv6 address: no port in it.
        if (colon < 0 || entry.IndexOf(':', StringComparison.Ordinal) != colon)
            return new NodeEndPoint(entry, defaultPort);
        if (colon == 0)
            throw new ArgumentException($"Host '{entry}' has a port but no host name.", nameof(hosts));
        return new NodeEndPoint(entry[..colon], ParsePort(entry[(colon + 1)..], entry, hosts));
    }

    private static int ParsePort(string text, string entry, string hosts)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new ArgumentException($"Host '{entry}' has an invalid port '{text}' (1–65535).", nameof(hosts));
}
