namespace PgHa.Agent.Ha;

/// <summary>What the HA loop does in one cycle, decided by <see cref="HaDecider"/> from the DCS and the local server.</summary>
internal enum HaActionKind
{
    /// <summary>Nothing to change (a healthy replica following the leader, or waiting for one).</summary>
    None,

    /// <summary>Race for <c>initialize</c>; the winner runs initdb, starts, takes the leader key and records the system identifier.</summary>
    Bootstrap,

    /// <summary>Clone the leader with pg_basebackup and start as its replica.</summary>
    CloneFromLeader,

    /// <summary>Keep the leader key (one keepalive). If that fails, demote at once.</summary>
    RenewLeadership,

    /// <summary>Race for the leader key; on winning, promote (a replica) or keep writing (a primary that had lost the key).</summary>
    AcquireLeadership,

    /// <summary>This member holds the key but its server is still a replica: promote it.</summary>
    Promote,

    /// <summary>A primary that is not the leader: stop taking writes now (immediate stop), then rewind and follow.</summary>
    DemoteAndFollow,

    /// <summary>Point the replica at the leader (it follows another node, or none).</summary>
    Follow,

    /// <summary>Start the stopped server as the leader's replica (rewinding first if it was a primary on an older timeline).</summary>
    StartAsReplica,

    /// <summary>This member leads but its postmaster died: start it again in place.</summary>
    RestartInPlace,

    /// <summary>A planned switchover away from this leader: stop cleanly, publish the last position, release the key.</summary>
    StepDown,

    /// <summary>No leader and the server is stopped: start it read-only (a standby of nobody), so it can take part in the race.</summary>
    StartReadOnly,

    /// <summary>This member holds the key but cannot serve as primary (no data): give the key up so another member can.</summary>
    ReleaseLeadership,
}

/// <summary>One decision and why, for the log and the REST status.</summary>
internal sealed record HaAction(HaActionKind Kind, string Reason, string? Leader = null)
{
    /// <summary>A replica's race for a missing leader key: ask the other members first (<see cref="PeerCheck"/>).</summary>
    public bool AsksPeersFirst { get; init; }
}
