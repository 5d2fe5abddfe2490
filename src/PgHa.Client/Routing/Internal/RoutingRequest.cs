namespace PgHa.Client.Routing.Internal;

/// <summary>
/// Everything a routing decision depends on besides the snapshot: the role asked for and the policy in force.
/// <see cref="MinReplayPosition"/>, when not zero, admits only replicas whose last probed replay position is at or
/// past it (a read that must see a consistency token's writes).
/// </summary>
internal readonly record struct RoutingRequest(
    TargetRole Role,
    TimeSpan MaxLag,
    long? MaxLagBytes,
    ReplicaFallback Fallback,
    LoadBalancing Balancing,
    TimeSpan LatencyWindow,
    ulong MinReplayPosition = 0)
{
    public static RoutingRequest From(TargetRole role, PgHaOptions options)
        => new(role, options.MaxReplicaLag, options.MaxReplicaLagBytes, options.ReplicaFallback, options.LoadBalancing, options.LatencyWindow);
}
