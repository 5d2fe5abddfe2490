namespace PgHa.Client.Resilience.Internal;

/// <summary>What an error means for the unit of work that hit it.</summary>
internal enum RetryKind
{
    /// <summary>An answer about the work itself (constraint violation, syntax error, bad credentials, 53300): surface it unchanged.</summary>
    Never,

    /// <summary>The node failed or was demoted: wait for a writable primary, then run the whole unit again — unless COMMIT
    /// was in flight, when the outcome must be resolved first.</summary>
    AfterFailover,

    /// <summary>A conflict the server rolled back (40001 serialization failure, 40P01 deadlock): run the unit again at once.</summary>
    Transient,
}
