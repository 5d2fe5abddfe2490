namespace PgHa.Client;

/// <summary>Every default of <see cref="PgHaOptions"/>, in one place.</summary>
public static class PgHaDefaults
{
    /// <summary>Default <see cref="PgHaOptions.ClusterName"/>.</summary>
    public const string ClusterName = "pgha";

    /// <summary>Default <see cref="PgHaOptions.MaxReplicaLag"/>: 5 s.</summary>
    public static readonly TimeSpan MaxReplicaLag = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="PgHaOptions.ProbeInterval"/>: 1 s.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    /// <summary>Default <see cref="PgHaOptions.ProbeTimeout"/>: 1 s.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Default <see cref="PgHaOptions.FailoverProbeInterval"/>: 100 ms (a promotion is seen about as soon as a naive 100 ms retry loop would find it).</summary>
    public static readonly TimeSpan FailoverProbeInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Default <see cref="PgHaOptions.FailedProbesBeforeDown"/>: 2.</summary>
    public const int FailedProbesBeforeDown = 2;

    /// <summary>Default <see cref="PgHaOptions.NodeWaitTimeout"/>: 15 s (Npgsql's default connect timeout).</summary>
    public static readonly TimeSpan NodeWaitTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Default <see cref="PgHaOptions.LatencyWindow"/>: 15 ms.</summary>
    public static readonly TimeSpan LatencyWindow = TimeSpan.FromMilliseconds(15);

    /// <summary>Default <see cref="PgHaOptions.ReplicaFallback"/>: <see cref="Client.ReplicaFallback.Primary"/>.</summary>
    public const ReplicaFallback ReplicaFallbackMode = ReplicaFallback.Primary;

    /// <summary>Default <see cref="PgHaOptions.LoadBalancing"/>: <see cref="Client.LoadBalancing.RoundRobin"/>.</summary>
    public const LoadBalancing LoadBalancingMode = LoadBalancing.RoundRobin;

    /// <summary>Default <see cref="PgHaOptions.RetryBudget"/>: 30 s.</summary>
    public static readonly TimeSpan RetryBudget = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="PgHaOptions.RetryOnConflict"/>: <see langword="true"/>.</summary>
    public const bool RetryOnConflict = true;

    /// <summary>Default <see cref="PgHaOptions.ResolveInDoubtCommits"/>: <see langword="true"/>.</summary>
    public const bool ResolveInDoubtCommits = true;

    /// <summary>Default <see cref="PgHaOptions.CommitMarkerTable"/>: <c>pgha.commit_markers</c>.</summary>
    public const string CommitMarkerTable = "pgha.commit_markers";

    /// <summary>Default <see cref="PgHaOptions.CommitMarkerRetention"/>: 10 min.</summary>
    public static readonly TimeSpan CommitMarkerRetention = TimeSpan.FromMinutes(10);

    /// <summary>Default <see cref="PgHaOptions.ReadYourWritesWait"/>: 250 ms.</summary>
    public static readonly TimeSpan ReadYourWritesWait = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// TCP keepalive idle time on every pooled and monitoring connection, unless the connection string sets
    /// <c>Tcp Keepalive</c>, <c>Tcp Keepalive Time</c> or <c>Tcp Keepalive Interval</c>: 10 s.
    /// </summary>
    public static readonly TimeSpan TcpKeepAliveTime = TimeSpan.FromSeconds(10);

    /// <summary>TCP keepalive probe interval, under the same condition as <see cref="TcpKeepAliveTime"/>: 2 s (with Linux's
    /// default of 9 probes, an idle socket whose peer vanished is closed about 28 s after it last carried data).</summary>
    public static readonly TimeSpan TcpKeepAliveInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often a node that refused our credentials or database is probed again: 5 s.
    /// Such a failure will not heal by itself between two probes, so probing it fast would only fill the server log.
    /// </summary>
    public static readonly TimeSpan ConfigurationFailureProbeInterval = TimeSpan.FromSeconds(5);
}
