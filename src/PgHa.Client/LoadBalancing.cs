namespace PgHa.Client;

/// <summary>How a node is chosen among several that qualify for a request.</summary>
public enum LoadBalancing
{
    /// <summary>No balancing: the first qualifying node in the order the hosts were given (Npgsql's behaviour without <c>Load Balance Hosts</c>).</summary>
    None,

    /// <summary>Each qualifying node in turn; stays fair when a node drops out.</summary>
    RoundRobin,

    /// <summary>The qualifying node with the fewest connections currently open through this data source.</summary>
    LeastOutstanding,

    /// <summary>Round-robin among the qualifying nodes whose probe round-trip time is within <see cref="PgHaOptions.LatencyWindow"/> of the fastest.</summary>
    LatencyAware,
}
