using System.Net;

namespace PgHa.Agent.Rest;

/// <summary>Patroni's <c>restapi.allowlist</c>: the client networks that may change the cluster through the REST API.</summary>
internal sealed class RestAllowlist
{
    private readonly IReadOnlyList<IPNetwork> _networks;

    public RestAllowlist(IEnumerable<string> entries)
        => _networks = entries.Select(e => TryParse(e, out var network) ? network : throw new ArgumentException($"'{e}' is not an IP address or a CIDR network.", nameof(entries))).ToList();

    /// <summary>No entries: every address is allowed.</summary>
    public bool IsOpen => _networks.Count == 0;

    /// <summary><c>10.0.0.0/8</c>, <c>fd00::/8</c>, or one address (<c>192.0.2.7</c>, <c>::1</c>). Host names are not accepted: an allowlist must not depend on DNS.</summary>
    public static bool TryParse(string entry, out IPNetwork network)
    {
        network = default;
        var text = entry.Trim();
        // IPAddress.TryParse reads "10" as 0.0.0.10: insist on a dotted or colon form.
        if (!text.Contains('.', StringComparison.Ordinal) && !text.Contains(':', StringComparison.Ordinal))
            return false;
        if (text.Contains('/', StringComparison.Ordinal))
            return IPNetwork.TryParse(text, out network);
        if (!IPAddress.TryParse(text, out var address))
            return false;
        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }

    public bool Allows(IPAddress? remote)
    {
        if (IsOpen)
            return true;
        if (remote is null)
            return false;
        if (remote.IsIPv4MappedToIPv6)
            remote = remote.MapToIPv4();
        return _networks.Any(n => n.Contains(remote));
    }
}
