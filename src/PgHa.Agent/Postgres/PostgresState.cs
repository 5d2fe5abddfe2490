namespace PgHa.Agent.Postgres;

/// <summary>What the local PostgreSQL says about itself, from one query.</summary>
internal sealed record PostgresState(
    bool IsPrimary,
    long WalPosition,
    long? ReceivedPosition,
    long? ReplayedPosition,
    int Timeline,
    long SystemIdentifier,
    bool IsReplayPaused);
