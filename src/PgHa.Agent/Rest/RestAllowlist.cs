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
        // IPAddress.TryParse reads "10" as 0.0.0.10 and "10.1" as 10.0.0.1: insist on four parts or an IPv6 form.
        if (!text.Contains(':', StringComparison.Ordinal) && text.Split('/')[0].Count(c => c == '.') != 3)
            return false;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (!IPAddress.TryParse(slash < 0 ? text : text[..slash], out var address))
            return false;
        var bits = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        var prefix = bits;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > bits))
            return false;
        // Like Patroni (ip_network(strict=False)): 10.1.2.3/8 means 10.0.0.0/8.
        network = new IPNetwork(Masked(address, prefix), prefix);
        return true;
    }

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
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
