namespace PgHa.Client.Resilience.Internal;

/// <summary>Thrown inside the retry pipeline when a cut-off COMMIT was looked up and found not to have committed (and now never will): the unit is run again.</summary>
internal sealed class CommitNotAppliedException(string message, Exception cause) : Exception(message, cause);
