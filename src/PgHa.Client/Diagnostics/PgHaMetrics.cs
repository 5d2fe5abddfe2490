using System.Diagnostics;
using System.Diagnostics.Metrics;
using PgHa.Client.Topology;

namespace PgHa.Client.Diagnostics;

/// <summary>One data source's view of PgHa's instruments: adds its cluster tag and feeds the gauges its topology.</summary>
internal sealed class PgHaMetrics : IDisposable
{
    private readonly PgHaInstruments _instruments;
    private readonly KeyValuePair<string, object?> _cluster;
    private Func<ClusterTopology>? _topology;
    private int _disposed;

    public PgHaMetrics(IMeterFactory? meterFactory, string clusterName)
    {
        var meter = meterFactory?.Create(new MeterOptions(PgHaTelemetry.Name) { Version = PgHaTelemetry.Version }) ?? PgHaTelemetry.DefaultMeter;
        _instruments = PgHaInstruments.For(meter);
        _cluster = new("pgha.cluster", clusterName);
    }

    /// <summary>The attached data source's latest snapshot (only attached sources are registered with the gauges).</summary>
    public ClusterTopology CurrentTopology() => _topology!();

    /// <summary>Starts feeding the gauges from <paramref name="topology"/>, until disposed.</summary>
    public void Attach(Func<ClusterTopology> topology)
    {
        _topology = topology;
        _instruments.Register(this);
    }

    public TagList NodeTags(NodeDescription node) => new()
    {
        _cluster,
        { "pgha.node", node.EndPoint.ToString() },
        { "pgha.node.role", RoleName(node.Role) },
    };

    /// <summary>A connection was routed (or could not be): counted by what was asked and what was chosen.</summary>
    public void Routed(TargetRole requested, NodeRole chosen, bool failed)
    {
        var counter = _instruments.Routed;
        if (!counter.Enabled && !_instruments.Fallbacks.Enabled)
            return;
        var fallback = !failed && chosen == NodeRole.Primary && requested is TargetRole.Replica or TargetRole.PreferReplica;
        var requestedName = RequestedName(requested);
        counter.Add(1, _cluster, new("pgha.route.requested", requestedName), new("pgha.route.node_role", failed ? "none" : RoleName(chosen)),
            new("pgha.route.outcome", failed ? "failed" : fallback ? "fallback" : "routed"));
        if (fallback)
            _instruments.Fallbacks.Add(1, _cluster, new("pgha.route.requested", requestedName));
    }

    public void Retried(Resilience.RetryReason reason) => _instruments.Retries.Add(1, _cluster, new("pgha.retry.reason", reason.ToString()));

    public void InDoubtCommit(string resolution) => _instruments.InDoubtCommits.Add(1, _cluster, new("pgha.commit.resolution", resolution));

    /// <summary>A writable primary is back after <paramref name="duration"/> without one.</summary>
    public void FailoverEnded(TimeSpan duration, bool promoted)
        => _instruments.Failovers.Record(duration.TotalSeconds, _cluster, new("pgha.failover.outcome", promoted ? "promoted" : "recovered"));

    /// <summary>The span of one failover, from the loss of the primary to a writable one; a root span, whoever built the data source.</summary>
    public Activity? StartFailoverSpan(NodeEndPoint lostPrimary)
    {
        if (!PgHaTelemetry.Source.HasListeners())
            return null;
        var ambient = Activity.Current;
        Activity.Current = null;
        try
        {
            var span = PgHaTelemetry.Source.StartActivity("pgha.failover", ActivityKind.Internal);
            span?.SetTag(_cluster.Key, _cluster.Value);
            span?.SetTag("pgha.failover.old_primary", lostPrimary.ToString());
            return span;
        }
        finally
        {
            Activity.Current = ambient;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _instruments.Unregister(this);
    }

    private static string RoleName(NodeRole role) => role switch
    {
        NodeRole.Primary => "primary",
        NodeRole.Replica => "replica",
        _ => "unknown",
    };

    private static string RequestedName(TargetRole role) => role switch
    {
        TargetRole.Primary => "primary",
        TargetRole.Replica => "replica",
        TargetRole.PreferReplica => "prefer_replica",
        _ => "any",
    };
}
