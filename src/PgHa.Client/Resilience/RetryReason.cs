namespace PgHa.Client.Resilience;

/// <summary>Why a unit of work is run again.</summary>
public enum RetryReason
{
    /// <summary>Its node failed (connection lost, refused, shut down, timed out) before COMMIT was sent.</summary>
    NodeFailure,

    /// <summary>A write reached a node that is no longer a writable primary (25006 read_only_sql_transaction).</summary>
    RoleChanged,

    /// <summary>A serialization failure (40001) or deadlock (40P01); see <see cref="PgHaOptions.RetryOnConflict"/>.</summary>
    Conflict,

    /// <summary>Its COMMIT was cut off in flight and looked up: it did not take effect, and now never will.</summary>
    CommitNotApplied,

    /// <summary>Its COMMIT was cut off in flight, the outcome is unknown, and the unit is marked idempotent.</summary>
    CommitOutcomeUnknown,
}
