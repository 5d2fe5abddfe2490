using PgHa.Client.Topology;

namespace PgHa.Client.Resilience.Internal;

/// <summary>What is known about a COMMIT whose answer never came: where it went, its marker, and when.</summary>
internal sealed record InDoubtCommit(NodeEndPoint Node, Guid? Token, long? SystemIdentifier, long SentAt, Exception Cause);

/// <summary>Thrown inside the retry pipeline when a cut-off COMMIT was looked up and found not to have committed (and now never will): the unit is run again.</summary>
internal sealed class CommitNotAppliedException(string message, Exception cause) : Exception(message, cause);
