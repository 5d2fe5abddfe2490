namespace PgHa.Agent.Postgres;

/// <summary>What the local PostgreSQL says about itself, from one query.</summary>
internal sealed record PostgresState(
    bool IsPrimary,
    long WalPosition,
    long? ReceivedPosition,
    long? ReplayedPosition,
    int Timeline,
    long SystemIdentifier,
    bool IsReplayPaused)
{
    /// <summary>A replica's configured upstream as <c>host:port</c> (from <c>primary_conninfo</c>), or <see langword="null"/>.</summary>
    public string? Upstream { get; init; }

    /// <summary>A replica's WAL receiver is streaming.</summary>
    public bool IsStreaming { get; init; }

    public int ServerVersion { get; init; }

    public DateTimeOffset PostmasterStartTime { get; init; }

    public string SynchronousStandbyNames { get; init; } = "";
}
