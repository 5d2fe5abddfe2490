namespace PgHa.Client.Resilience;

/// <summary>Per-call settings of a unit of work run by <see cref="PgHaDataSource"/>.</summary>
public sealed class UnitOfWorkOptions
{
    /// <summary>
    /// The unit may safely run twice (an upsert keyed by a client-made id, say). When its COMMIT fails in flight it
    /// is simply run again instead of raising <see cref="PgHaCommitOutcomeUnknownException"/>.
    /// </summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool IsIdempotent { get; init; }

    /// <summary>Overrides <see cref="PgHaOptions.RetryBudget"/> for this call.</summary>
    /// <value>Default: <see langword="null"/> (the data source's budget).</value>
    public TimeSpan? RetryBudget { get; init; }

    /// <summary>For reads: the role to route to.</summary>
    /// <value>Default: <see cref="TargetRole.Replica"/> (a lag-bounded replica, falling back as <see cref="PgHaOptions.ReplicaFallback"/> says).</value>
    public TargetRole ReadRole { get; init; } = TargetRole.Replica;

    /// <summary>
    /// Called before the unit runs again, e.g. to reset in-memory state the failed attempt changed. An exception
    /// thrown here ends the unit of work with that exception.
    /// </summary>
    /// <value>Default: <see langword="null"/>.</value>
    public Func<UnitOfWorkRetry, ValueTask>? OnRetry { get; init; }
}
