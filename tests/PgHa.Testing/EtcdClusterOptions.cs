namespace PgHa.Testing;

/// <summary>How <see cref="EtcdCluster.StartAsync"/> builds an etcd cluster.</summary>
public sealed class EtcdClusterOptions
{
    /// <summary>How many etcd members; 3 to test failover between endpoints and quorum loss.</summary>
    /// <value>Default: 1.</value>
    public int Members { get; set; } = 1;

    /// <summary>The etcd binary; <see langword="null"/> for <c>$PGHA_ETCD_BIN</c>, then <c>etcd</c> on the PATH.</summary>
    public string? EtcdPath { get; set; }

    /// <summary>How long a member may take to answer <c>/health</c> after it was started.</summary>
    /// <value>Default: 20 s.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The IPv4 address members listen on (clients and peers), e.g. a bridge address that nodes in network namespaces can reach.</summary>
    /// <value>Default: 127.0.0.1.</value>
    public string ListenAddress { get; set; } = "127.0.0.1";

    internal void Validate()
    {
        if (!System.Net.IPAddress.TryParse(ListenAddress, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            throw new ArgumentException($"ListenAddress must be an IPv4 address (was '{ListenAddress}').", nameof(ListenAddress));
        if (Members is < 1 or > 7)
            throw new ArgumentOutOfRangeException(nameof(Members), Members, "An etcd cluster here has 1 to 7 members.");
        if (StartTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(StartTimeout), StartTimeout, "Must be positive.");
    }
}
