namespace PgHa.Client.Topology.Internal;

/// <summary>
/// Turns the nodes' latest probe states into a routable view: which primary is authoritative, which are fenced,
/// and how far each replica lags. Holds the memory that must outlive single snapshots (the highest timeline seen
/// per cluster, the primary's WAL history). Not thread-safe: called under the topology monitor's lock.
/// </summary>
internal sealed class TopologyComposer
{
    private readonly Dictionary<long, int> _highestPrimaryTimeline = [];
    private readonly PrimaryLsnHistory _history = new();

    public (NodeDescription[] Nodes, int PrimaryIndex) Compose(NodeDescription[] probed, DateTimeOffset now)
    {
        var nodes = (NodeDescription[])probed.Clone();
        RememberPrimaryTimelines(nodes);
        FenceStalePrimaries(nodes);

        var reference = ReferencePrimary(nodes);
        if (reference >= 0)
            RecordPrimaryPosition(nodes[reference]);

        for (var i = 0; i < nodes.Length; i++)
        {
            if (nodes[i].Role == NodeRole.Replica && IsOnAnOlderTimeline(nodes[i]))
            {
                // Still on the history the cluster left behind at a promotion: WAL it replayed past the fork is not in
                // the primary's history, so neither its lag nor its replay position (for a consistency token) means
                // anything. Not routed to until it follows the new timeline.
                nodes[i] = nodes[i] with { ReplicaLag = null, ReplicaLagBytes = null };
            }
            else if (nodes[i].Role == NodeRole.Replica && nodes[i].WalPosition is { } replayed)
            {
                nodes[i] = nodes[i] with
                {
                    ReplicaLagBytes = _history.LagBytes(replayed, nodes[i].LastSeenAt ?? now),
                    ReplicaLag = _history.LagTime(replayed, nodes[i].LastReplayedCommitAt, now),
                };
            }
        }

        return (nodes, WritablePrimary(nodes));
    }

    private bool IsOnAnOlderTimeline(NodeDescription n)
        => n.Timeline is { } tl && _highestPrimaryTimeline.TryGetValue(n.SystemIdentifier ?? 0, out var highest) && tl < highest;

    private static bool IsLivePrimary(NodeDescription n) => n.Role == NodeRole.Primary && n.Health is NodeHealth.Up or NodeHealth.Suspect;

    private void RememberPrimaryTimelines(NodeDescription[] nodes)
    {
        foreach (var n in nodes)
        {
            if (IsLivePrimary(n) && n.Timeline is { } tl)
            {
                var system = n.SystemIdentifier ?? 0;
                if (!_highestPrimaryTimeline.TryGetValue(system, out var highest) || tl > highest)
                    _highestPrimaryTimeline[system] = tl;
            }
        }
    }

    private void FenceStalePrimaries(NodeDescription[] nodes)
    {
        for (var i = 0; i < nodes.Length; i++)
        {
            var n = nodes[i];
            string? reason = null;
            if (n.Role == NodeRole.Primary && n.Timeline is { } tl
                && _highestPrimaryTimeline.TryGetValue(n.SystemIdentifier ?? 0, out var highest) && tl < highest)
            {
                reason = $"timeline {tl} is older than timeline {highest} seen on a primary of this cluster";
            }

            nodes[i] = n with { IsFenced = reason is not null, FenceReason = reason };
        }

        // Two live primaries on the same (newest) timeline cannot be told apart: route writes to neither.
        for (var i = 0; i < nodes.Length; i++)
        {
            for (var j = i + 1; j < nodes.Length; j++)
            {
                if (IsLivePrimary(nodes[i]) && IsLivePrimary(nodes[j]) && !nodes[i].IsFenced && !nodes[j].IsFenced
                    && nodes[i].SystemIdentifier == nodes[j].SystemIdentifier)
                {
                    var reason = $"split brain: {nodes[i].EndPoint} and {nodes[j].EndPoint} both claim primary on timeline {nodes[i].Timeline}";
                    nodes[i] = nodes[i] with { IsFenced = true, FenceReason = reason };
                    nodes[j] = nodes[j] with { IsFenced = true, FenceReason = reason };
                }
            }
        }
    }

    /// <summary>The primary replicas are measured against: the one live unfenced primary, read-only or not.</summary>
    private static int ReferencePrimary(NodeDescription[] nodes)
    {
        var found = -1;
        for (var i = 0; i < nodes.Length; i++)
        {
            if (IsLivePrimary(nodes[i]) && !nodes[i].IsFenced)
            {
                if (found >= 0)
                    return -1;
                found = i;
            }
        }

        return found;
    }

    private void RecordPrimaryPosition(NodeDescription primary)
    {
        if (_history.Owner != (primary.Index, primary.Timeline))
            _history.ResetFor(primary.Index, primary.Timeline);
        if (primary.WalPosition is { } lsn && primary.LastSeenAt is { } at)
            _history.Add(lsn, at);
    }

    private static int WritablePrimary(NodeDescription[] nodes)
    {
        for (var i = 0; i < nodes.Length; i++)
        {
            if (nodes[i].IsWritable)
                return i;
        }

        return -1;
    }
}
