using PgHa.Client.Topology;

namespace PgHa.Client.Routing.Internal;

/// <summary>The staleness rule for replica reads: a known lag within the time bound and, when set, the byte bound.</summary>
internal static class ReplicaLagBound
{
    public static bool Admits(NodeDescription node, TimeSpan maxLag, long? maxLagBytes)
        => node.ReplicaLag is { } lag && lag <= maxLag
           && (maxLagBytes is not { } maxBytes || (node.ReplicaLagBytes is { } bytes && bytes <= maxBytes));
}
