using System.Text;

namespace PgHa.Client.Topology;

/// <summary>
/// An immutable snapshot of the cluster: every node with its role, health, lag and timeline. A new snapshot
/// is published atomically after each probe; reading <see cref="PgHaDataSource.Topology"/> is a single field read.
/// </summary>
public sealed class ClusterTopology
{
    private readonly NodeDescription[] _nodes;

    internal ClusterTopology(NodeDescription[] nodes, int primaryIndex, long version, DateTimeOffset timestamp, string cause)
    {
        _nodes = nodes;
        PrimaryIndex = primaryIndex;
        Version = version;
        Timestamp = timestamp;
        Cause = cause;
        IsDiscoveryComplete = Array.TrueForAll(nodes, n => n.Health != NodeHealth.Unknown);
    }

    /// <summary>Every node, in the order of the connection string's host list.</summary>
    public IReadOnlyList<NodeDescription> Nodes => _nodes;

    /// <summary>The node writes go to: the single healthy, unfenced, read-write primary; <see langword="null"/> when there is none.</summary>
    public NodeDescription? Primary => PrimaryIndex >= 0 ? _nodes[PrimaryIndex] : null;

    /// <summary>Increases by one with every snapshot.</summary>
    public long Version { get; }

    /// <summary>When this snapshot was made.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>What produced this snapshot, e.g. <c>"probe"</c>, <c>"connection-lost:57P01"</c>, <c>"no-primary"</c>.</summary>
    public string Cause { get; }

    /// <summary>Whether every node has been probed at least once (successfully or not).</summary>
    public bool IsDiscoveryComplete { get; }

    internal int PrimaryIndex { get; }

    internal ReadOnlySpan<NodeDescription> NodeSpan => _nodes;

    /// <summary>One line per node, primary first: handy for logs and health endpoints.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("topology v").Append(Version).Append(" (").Append(Cause).Append("): ");
        text.Append(Primary is null ? "NO PRIMARY" : $"primary {Primary.EndPoint}");
        foreach (var node in _nodes)
            text.Append("; ").Append(node.EndPoint).Append(' ').Append(node.Describe());
        return text.ToString();
    }
}
