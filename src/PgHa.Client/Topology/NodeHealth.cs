namespace PgHa.Client.Topology;

/// <summary>What the watchdog currently believes about a node's reachability.</summary>
public enum NodeHealth
{
    /// <summary>Not probed yet.</summary>
    Unknown,

    /// <summary>Answered its last probe.</summary>
    Up,

    /// <summary>Its last probe timed out, but fewer than <see cref="PgHaOptions.FailedProbesBeforeDown"/> in a row: used only when no healthy node fits.</summary>
    Suspect,

    /// <summary>Refused or dropped the connection, rejected our credentials, or timed out too often: never routed to.</summary>
    Down,
}
