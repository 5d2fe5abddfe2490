namespace PgHa.Client;

/// <summary>
/// Settings of a <see cref="PgHaDataSource"/>. Connection settings (hosts, credentials, SSL, pool sizes,
/// timeouts) stay in the Npgsql connection string; these are the high-availability settings on top.
/// </summary>
public sealed class PgHaOptions
{
    /// <summary>A name for the cluster, used in logs and in the names of the per-node Npgsql data sources (<c>"{ClusterName}/{host}:{port}"</c>).</summary>
    /// <value>Default: <c>"pgha"</c>.</value>
    public string ClusterName { get; set; } = PgHaDefaults.ClusterName;

    /// <summary>The staleness bound for replica reads: a replica is used only while its replay lag is at most this.</summary>
    /// <remarks>Lag is measured at each probe, so the effective bound is this plus <see cref="ProbeInterval"/>.</remarks>
    /// <value>Default: 5 s.</value>
    public TimeSpan MaxReplicaLag { get; set; } = PgHaDefaults.MaxReplicaLag;

    /// <summary>An optional second bound for replica reads, in bytes of WAL not yet replayed.</summary>
    /// <value>Default: <see langword="null"/> (no bound in bytes).</value>
    public long? MaxReplicaLagBytes { get; set; }

    /// <summary>What a replica read does when no replica is within the bounds.</summary>
    /// <value>Default: <see cref="Client.ReplicaFallback.Primary"/>.</value>
    public ReplicaFallback ReplicaFallback { get; set; } = PgHaDefaults.ReplicaFallbackMode;

    /// <summary>How a node is picked among those that qualify.</summary>
    /// <value>Default: <see cref="Client.LoadBalancing.RoundRobin"/>; <c>Load Balance Hosts=false</c> in the connection string selects <see cref="Client.LoadBalancing.None"/>.</value>
    public LoadBalancing LoadBalancing { get; set; } = PgHaDefaults.LoadBalancingMode;

    /// <summary>For <see cref="Client.LoadBalancing.LatencyAware"/>: how much slower than the fastest node a node may be and still be picked.</summary>
    /// <value>Default: 15 ms.</value>
    public TimeSpan LatencyWindow { get; set; } = PgHaDefaults.LatencyWindow;

    /// <summary>How often each node is probed by the watchdog on its monitoring connection.</summary>
    /// <value>Default: 1 s.</value>
    public TimeSpan ProbeInterval { get; set; } = PgHaDefaults.ProbeInterval;

    /// <summary>How long a probe (connect, or the probe query) may take before it counts as failed.</summary>
    /// <value>Default: 1 s.</value>
    public TimeSpan ProbeTimeout { get; set; } = PgHaDefaults.ProbeTimeout;

    /// <summary>The probe interval used while the cluster has no primary, so a promotion is seen quickly.</summary>
    /// <value>Default: 100 ms.</value>
    public TimeSpan FailoverProbeInterval { get; set; } = PgHaDefaults.FailoverProbeInterval;

    /// <summary>
    /// How many probes in a row must time out before a node is marked down. A refused or closed connection
    /// (crash, shutdown) marks it down at once; a node is trusted again as soon as it answers a probe.
    /// </summary>
    /// <value>Default: 2.</value>
    public int FailedProbesBeforeDown { get; set; } = PgHaDefaults.FailedProbesBeforeDown;

    /// <summary>
    /// How long opening a connection waits for a node that fits the requested role (a primary during a failover,
    /// the first discovery after start) before throwing a <see cref="PgHaException"/>. Zero: do not wait.
    /// </summary>
    /// <value>Default: 15 s.</value>
    public TimeSpan NodeWaitTimeout { get; set; } = PgHaDefaults.NodeWaitTimeout;

    /// <summary>
    /// How long a unit of work (<see cref="PgHaDataSource.ExecuteWriteAsync{T}(Func{Npgsql.NpgsqlConnection, Npgsql.NpgsqlTransaction, CancellationToken, Task{T}}, CancellationToken)"/>,
    /// <see cref="PgHaDataSource.ExecuteReadAsync{T}(Func{Npgsql.NpgsqlConnection, CancellationToken, Task{T}}, CancellationToken)"/>,
    /// an EF Core operation) may spend waiting for the cluster across failovers before giving up: waiting for a node to
    /// route to, for the watchdog to re-probe a node that failed, and for the lookup of a COMMIT cut off in flight.
    /// The unit's own statements and its COMMIT on a node that answers do not count, so a slow unit on a healthy
    /// primary is never reported as failed or unknown because of it. Work on a node that stops answering is released
    /// when the watchdog declares the node lost (within <see cref="ProbeInterval"/> + <see cref="FailedProbesBeforeDown"/>
    /// × <see cref="ProbeTimeout"/>), and then counts as a failure to run again.
    /// </summary>
    /// <value>Default: 30 s.</value>
    public TimeSpan RetryBudget { get; set; } = PgHaDefaults.RetryBudget;

    /// <summary>Whether units of work are run again after a serialization failure (40001) or a deadlock (40P01). Such
    /// retries run at once and wait for nothing, so they stop once the unit has run for <see cref="RetryBudget"/> in all.</summary>
    /// <value>Default: <see langword="true"/>.</value>
    public bool RetryOnConflict { get; set; } = PgHaDefaults.RetryOnConflict;

    /// <summary>
    /// Whether a COMMIT cut off in flight is looked up instead of reported as unknown. Each write's COMMIT then also
    /// inserts a row with a fresh token into <see cref="CommitMarkerTable"/>; after the failure the new primary is asked
    /// for that token with an upsert that fences it if absent, so the answer is final: committed (the unit is not run
    /// again) or not (it is run again).
    /// </summary>
    /// <value>Default: <see langword="true"/>.</value>
    public bool ResolveInDoubtCommits { get; set; } = PgHaDefaults.ResolveInDoubtCommits;

    /// <summary>
    /// The commit-marker table, as <c>schema.table</c> in lower case. Created on the first write if missing and the
    /// role may create it; otherwise the first write fails with the script to run.
    /// </summary>
    /// <value>Default: <c>"pgha.commit_markers"</c>.</value>
    public string CommitMarkerTable { get; set; } = PgHaDefaults.CommitMarkerTable;

    /// <summary>How long commit markers are kept before the data source deletes them. Must exceed the longest retry budget plus clock skew between application hosts.</summary>
    /// <value>Default: 10 min.</value>
    public TimeSpan CommitMarkerRetention { get; set; } = PgHaDefaults.CommitMarkerRetention;

    /// <summary>
    /// For reads that must see a consistency token's writes (<see cref="PgHaSession"/>): how long to wait for a
    /// lag-bounded replica to replay up to the token before reading on the primary instead.
    /// </summary>
    /// <value>Default: 250 ms.</value>
    public TimeSpan ReadYourWritesWait { get; set; } = PgHaDefaults.ReadYourWritesWait;

    internal PgHaOptions Clone() => (PgHaOptions)MemberwiseClone();
}
