using PgHa.Client.Topology;

namespace PgHa.Client;

/// <summary>
/// The connection failed while COMMIT was in flight, so the unit of work may or may not have been committed, and
/// PgHa did not run it again (that could apply it twice). The caller must find out, e.g. by looking for the row it
/// wrote, or mark the unit idempotent so that it is simply run again.
/// </summary>
public sealed class PgHaCommitOutcomeUnknownException : PgHaException
{
    /// <summary>Creates the exception.</summary>
    public PgHaCommitOutcomeUnknownException(string message, NodeEndPoint node, ClusterTopology? topology, Exception? innerException)
        : base(message, topology, innerException) => Node = node;

    /// <summary>The node the COMMIT was sent to.</summary>
    public NodeEndPoint Node { get; }
}
