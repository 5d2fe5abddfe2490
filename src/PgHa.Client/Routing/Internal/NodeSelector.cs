using System.Numerics;
using PgHa.Client.Topology;

namespace PgHa.Client.Routing.Internal;

/// <summary>
/// Routing as a pure function of a snapshot: role filter → lag bound → load balancing, over node bitmasks so a
/// decision allocates nothing. The only inputs besides the snapshot are the request, the per-node count of open
/// connections, and a ticket number that rotates round-robin choices.
/// </summary>
internal static class NodeSelector
{
    public const int MaxNodes = 64;

    public static RouteOutcome Select(ClusterTopology topology, in RoutingRequest request, ReadOnlySpan<int> outstanding, ulong ticket, out int index)
    {
        index = -1;
        var nodes = topology.NodeSpan;
        var primary = topology.PrimaryIndex;
        var replicas = QualifyingReplicas(nodes, request);

        switch (request.Role)
        {
            case TargetRole.Primary:
                index = primary;
                break;
            case TargetRole.Replica when replicas != 0:
            case TargetRole.PreferReplica when replicas != 0:
                index = Balance(nodes, replicas, request, outstanding, ticket);
                break;
            case TargetRole.Replica or TargetRole.PreferReplica when !topology.IsDiscoveryComplete:
                break; // a replica may simply not have been probed yet: do not fall back on a guess
            case TargetRole.Replica when request.Fallback == ReplicaFallback.Throw:
                return RouteOutcome.Fail;
            case TargetRole.Replica:
            case TargetRole.PreferReplica:
                index = primary;
                break;
            case TargetRole.Any:
                var any = replicas | (primary >= 0 ? 1UL << primary : 0) | ReadOnlyPrimaries(nodes);
                if (any != 0)
                    index = Balance(nodes, any, request, outstanding, ticket);
                break;
        }

        if (index >= 0)
            return RouteOutcome.Selected;
        return EveryNodeRefusesUs(nodes) ? RouteOutcome.Fail : RouteOutcome.Wait;
    }

    /// <summary>Replicas within the lag bounds (and at or past the minimum replay position); healthy ones, or if none, suspect ones.</summary>
    internal static ulong QualifyingReplicas(ReadOnlySpan<NodeDescription> nodes, in RoutingRequest request)
    {
        ulong up = 0, suspect = 0;
        for (var i = 0; i < nodes.Length; i++)
        {
            var node = nodes[i];
            if (node.Role != NodeRole.Replica || !ReplicaLagBound.Admits(node, request.MaxLag, request.MaxLagBytes))
                continue;
            if (request.MinReplayPosition != 0 && (ulong)(node.WalPosition ?? default) < request.MinReplayPosition)
                continue;
            if (node.Health == NodeHealth.Up)
                up |= 1UL << i;
            else if (node.Health == NodeHealth.Suspect)
                suspect |= 1UL << i;
        }

        return up != 0 ? up : suspect;
    }

    private static ulong ReadOnlyPrimaries(ReadOnlySpan<NodeDescription> nodes)
    {
        ulong set = 0;
        for (var i = 0; i < nodes.Length; i++)
        {
            var n = nodes[i];
            if (n.Role == NodeRole.Primary && n.IsReadOnly && !n.IsFenced && n.Health == NodeHealth.Up)
                set |= 1UL << i;
        }

        return set;
    }

    private static bool EveryNodeRefusesUs(ReadOnlySpan<NodeDescription> nodes)
    {
        foreach (var node in nodes)
        {
            if (!node.HasConfigurationFailure)
                return false;
        }

        return true;
    }

    internal static int Balance(ReadOnlySpan<NodeDescription> nodes, ulong candidates, in RoutingRequest request, ReadOnlySpan<int> outstanding, ulong ticket)
    {
        switch (request.Balancing)
        {
            case LoadBalancing.None:
                return BitOperations.TrailingZeroCount(candidates);
            case LoadBalancing.LeastOutstanding:
                candidates = LeastOutstanding(candidates, outstanding);
                break;
            case LoadBalancing.LatencyAware:
                candidates = WithinLatencyWindow(nodes, candidates, request.LatencyWindow);
                break;
        }

        return NthSetBit(candidates, (int)(ticket % (ulong)BitOperations.PopCount(candidates)));
    }

    private static ulong LeastOutstanding(ulong candidates, ReadOnlySpan<int> outstanding)
    {
        var least = int.MaxValue;
        ulong set = 0;
        for (var rest = candidates; rest != 0; rest &= rest - 1)
        {
            var i = BitOperations.TrailingZeroCount(rest);
            var load = i < outstanding.Length ? outstanding[i] : 0;
            if (load < least)
                (least, set) = (load, 1UL << i);
            else if (load == least)
                set |= 1UL << i;
        }

        return set;
    }

    private static ulong WithinLatencyWindow(ReadOnlySpan<NodeDescription> nodes, ulong candidates, TimeSpan window)
    {
        var fastest = TimeSpan.MaxValue;
        for (var rest = candidates; rest != 0; rest &= rest - 1)
        {
            var latency = nodes[BitOperations.TrailingZeroCount(rest)].ProbeLatency ?? TimeSpan.Zero;
            if (latency < fastest)
                fastest = latency;
        }

        ulong set = 0;
        for (var rest = candidates; rest != 0; rest &= rest - 1)
        {
            var i = BitOperations.TrailingZeroCount(rest);
            if ((nodes[i].ProbeLatency ?? TimeSpan.Zero) <= fastest + window)
                set |= 1UL << i;
        }

        return set;
    }

    private static int NthSetBit(ulong set, int n)
    {
        for (; n > 0; n--)
            set &= set - 1;
        return BitOperations.TrailingZeroCount(set);
    }
}
