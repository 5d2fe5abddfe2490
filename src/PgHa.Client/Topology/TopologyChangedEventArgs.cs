namespace PgHa.Client.Topology;

/// <summary>Describes a change of role, health, fencing or primary in the cluster.</summary>
public sealed class TopologyChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public TopologyChangedEventArgs(ClusterTopology previous, ClusterTopology current)
    {
        Previous = previous;
        Current = current;
    }

    /// <summary>The snapshot before the change.</summary>
    public ClusterTopology Previous { get; }

    /// <summary>The snapshot after the change.</summary>
    public ClusterTopology Current { get; }

    /// <summary>Why the topology was refreshed, e.g. <c>"probe"</c>, <c>"connection-lost:57P01"</c>, <c>"no-primary"</c>.</summary>
    public string Cause => Current.Cause;
}
