namespace PgHa.Client.Topology.Internal;

/// <summary>
/// A request failed on node <see cref="Index"/> when that node had ended <see cref="ProbeCount"/> probes and node
/// <see cref="PrimaryIndex"/> was the writable primary. A retry routes only on a snapshot that accounts for the
/// failure, so it does not go straight back to a node nobody has looked at since.
/// </summary>
internal readonly record struct NodeFailureMark(int Index, long ProbeCount, int PrimaryIndex)
{
    /// <summary>No failure to account for (an error that says nothing about a node, or a node not of this cluster).</summary>
    public static readonly NodeFailureMark None = new(-1, 0, -1);

    public bool IsNone => Index < 0;

    /// <summary>The node was probed since, or is no longer trusted (suspect, down, fenced), or another node than the
    /// one of the failure's time is now the writable primary.</summary>
    public bool IsAccountedFor(ClusterTopology topology)
    {
        if (Index < 0)
            return true;
        var node = topology.NodeSpan[Index];
        return node.ProbeCount > ProbeCount || node.Health != NodeHealth.Up || node.IsFenced
               || (topology.PrimaryIndex >= 0 && topology.PrimaryIndex != PrimaryIndex);
    }
}
