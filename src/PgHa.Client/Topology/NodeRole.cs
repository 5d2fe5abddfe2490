namespace PgHa.Client.Topology;

/// <summary>A node's role, as the node itself reports it (<c>pg_is_in_recovery()</c>), never inferred from host order.</summary>
public enum NodeRole
{
    /// <summary>Not yet probed successfully.</summary>
    Unknown,

    /// <summary>Not in recovery: accepts writes unless read-only or fenced.</summary>
    Primary,

    /// <summary>In recovery (a streaming or archive-replaying standby).</summary>
    Replica,
}
