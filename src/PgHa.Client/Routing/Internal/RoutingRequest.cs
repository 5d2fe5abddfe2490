namespace PgHa.Client.Routing.Internal;

/// <summary>Everything a routing decision depends on besides the snapshot: the role asked for and the policy in force.</summary>
internal readonly record struct RoutingRequest(
    TargetRole Role,
    TimeSpan MaxLag,
    long? MaxLagBytes,
    ReplicaFallback Fallback,
    LoadBalancing Balancing,
    TimeSpan LatencyWindow)
{
    public static RoutingRequest From(TargetRole role, PgHaOptions options)
        => new(role, options.MaxReplicaLag, options.MaxReplicaLagBytes, options.ReplicaFallback, options.LoadBalancing, options.LatencyWindow);
}
