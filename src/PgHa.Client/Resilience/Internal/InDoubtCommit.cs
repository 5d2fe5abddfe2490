using PgHa.Client.Topology;

namespace PgHa.Client.Resilience.Internal;

/// <summary>What is known about a COMMIT whose answer never came: where it went, its marker, and when.</summary>
internal sealed record InDoubtCommit(NodeEndPoint Node, Guid? Token, long? SystemIdentifier, long SentAt, Exception Cause);
