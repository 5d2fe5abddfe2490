using PgHa.Client.Topology;

namespace PgHa.Client;

/// <summary>
/// The connection failed while COMMIT was in flight, and the commit marker looked up on the new primary shows the
/// transaction did not take effect (and now never will: the marker is fenced). Nothing was applied, so the work is
/// safe to run again. Units of work do that themselves; callers of
/// <see cref="PgHaDataSource.CommitAsync(Npgsql.NpgsqlTransaction, bool, CancellationToken)"/> (an ORM's execution
/// strategy, say) should run their transaction again.
/// </summary>
public sealed class PgHaCommitNotAppliedException : PgHaException
{
    /// <summary>Creates the exception.</summary>
    public PgHaCommitNotAppliedException(string message, NodeEndPoint node, ClusterTopology? topology, Exception? innerException)
        : base(message, topology, innerException) => Node = node;

    /// <summary>The node the COMMIT was sent to.</summary>
    public NodeEndPoint Node { get; }
}
