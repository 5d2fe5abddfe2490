namespace PgHa.Client;

/// <summary>The kind of node a connection should be opened on.</summary>
public enum TargetRole
{
    /// <summary>The current writable primary. Waits for one during a failover.</summary>
    Primary,

    /// <summary>A replica whose lag is within the configured bound; what happens when none is, is set by <see cref="PgHaOptions.ReplicaFallback"/>.</summary>
    Replica,

    /// <summary>A lag-bounded replica when one qualifies, otherwise the primary.</summary>
    PreferReplica,

    /// <summary>Any healthy node that is not fenced: the primary or a lag-bounded replica.</summary>
    Any,
}
