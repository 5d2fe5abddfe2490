namespace PgHa.Client.Resilience;

/// <summary>Why PgHa could not tell whether a COMMIT cut off in flight took effect.</summary>
public enum CommitOutcomeUnknownReason
{
    /// <summary>No writable primary appeared within the retry budget to ask.</summary>
    NoPrimary,

    /// <summary>The transaction was still in progress on the primary when the budget ran out (its COMMIT may still be waiting for a synchronous standby).</summary>
    StillInProgress,

    /// <summary>The retry budget ran out while COMMIT was still unanswered, so there was no time left to ask.</summary>
    BudgetExhausted,

    /// <summary>The caller cancelled while COMMIT was unanswered or while its outcome was being looked up.</summary>
    Cancelled,

    /// <summary>The node now primary belongs to another cluster (a different system identifier) than the one the COMMIT went to.</summary>
    DifferentCluster,

    /// <summary>The commit-marker table could not be read or written on the new primary.</summary>
    MarkerTableUnavailable,

    /// <summary>In-doubt commits are not resolved (<see cref="PgHaOptions.ResolveInDoubtCommits"/> is off).</summary>
    ResolutionDisabled,

    /// <summary>The lookup failed with an error PgHa does not expect there (see the message).</summary>
    LookupFailed,

    /// <summary>The COMMIT was attempted so long ago that its marker may have been swept (<see cref="PgHaOptions.CommitMarkerRetention"/>).</summary>
    MarkerMayHaveExpired,
}
