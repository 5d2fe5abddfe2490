namespace PgHa.Agent.Ha;

/// <summary>The local PostgreSQL as the HA loop sees it at the start of a cycle.</summary>
internal enum LocalPostgresStatus
{
    /// <summary>No data directory yet.</summary>
    NotInitialized,

    /// <summary>A data directory, no running server.</summary>
    Stopped,

    /// <summary>A server that should be running does not answer (crashed postmaster).</summary>
    Unreachable,

    /// <summary>Running and accepting writes.</summary>
    RunningPrimary,

    /// <summary>Running in recovery.</summary>
    RunningReplica,
}

/// <summary>The local node: its server's status, WAL position and timeline, and what it streams from.</summary>
internal sealed record LocalPostgres(LocalPostgresStatus Status, long WalPosition = 0, int Timeline = 0, string? Upstream = null)
{
    /// <summary>A replica's WAL receiver streams from its upstream.</summary>
    public bool IsStreaming { get; init; }
}
