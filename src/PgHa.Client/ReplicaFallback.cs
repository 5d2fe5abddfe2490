namespace PgHa.Client;

/// <summary>What a <see cref="TargetRole.Replica"/> request does when no replica qualifies.</summary>
public enum ReplicaFallback
{
    /// <summary>Use the primary (reads stay available, at the primary's cost).</summary>
    Primary,

    /// <summary>Throw a <see cref="PgHaException"/> that says why each replica was excluded.</summary>
    Throw,
}
