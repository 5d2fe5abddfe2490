namespace PgHa.Client.Resilience.Internal;

/// <summary>What an error says about the node it came from.</summary>
internal enum NodeFailureKind
{
    /// <summary>Not a statement about the node (a constraint violation, a syntax error...).</summary>
    None,

    /// <summary>The node is gone or going: connection refused, reset or closed, shutdown (57P01/57P02/57P03), class 08. Marks it down at once.</summary>
    Unreachable,

    /// <summary>No answer in time: the node may be frozen or cut off. Counted towards <see cref="PgHaOptions.FailedProbesBeforeDown"/>.</summary>
    Timeout,

    /// <summary>The node answered but refuses us for good: authentication (28xxx) or a missing database (3D000). Waiting will not help.</summary>
    Configuration,

    /// <summary>The node is alive but cannot take another connection right now (53300 too many connections): not a node failure.</summary>
    Busy,

    /// <summary>A write reached a node that is no longer a writable primary (25006): its role changed.</summary>
    RoleChanged,
}
