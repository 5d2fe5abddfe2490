namespace PgHa.Client.Topology;

/// <summary>A node's address as given in the connection string.</summary>
/// <param name="Host">Host name or IP address.</param>
/// <param name="Port">TCP port.</param>
public readonly record struct NodeEndPoint(string Host, int Port)
{
    /// <summary><c>host:port</c>, with IPv6 addresses in brackets.</summary>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
