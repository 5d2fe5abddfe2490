using PgHa.Client.Resilience;
using PgHa.Client.Topology;

namespace PgHa.Client;

/// <summary>
/// The connection failed while COMMIT was in flight and PgHa could not find out whether the unit of work took
/// effect (see <see cref="Reason"/>), so it did not run it again: that could apply it twice. The caller must find
/// out, e.g. by looking for the row it wrote, or by looking up <see cref="Token"/> in the commit-marker table on
/// any node: <c>SELECT kind FROM pgha.commit_markers WHERE token = '…'</c> (<c>c</c>: committed there;
/// <c>f</c>: fenced, never committed there).
/// </summary>
public sealed class PgHaCommitOutcomeUnknownException : PgHaException
{
    /// <summary>Creates the exception.</summary>
    public PgHaCommitOutcomeUnknownException(string message, NodeEndPoint node, ClusterTopology? topology, Exception? innerException)
        : this(message, node, CommitOutcomeUnknownReason.ResolutionDisabled, token: null, topology, innerException)
    {
    }

    /// <summary>Creates the exception with what is known about the COMMIT.</summary>
    public PgHaCommitOutcomeUnknownException(string message, NodeEndPoint node, CommitOutcomeUnknownReason reason, Guid? token, ClusterTopology? topology, Exception? innerException)
        : base(message, topology, innerException)
    {
        Node = node;
        Reason = reason;
        Token = token;
    }

    /// <summary>The node the COMMIT was sent to.</summary>
    public NodeEndPoint Node { get; }

    /// <summary>Why the outcome could not be determined.</summary>
    public CommitOutcomeUnknownReason Reason { get; }

    /// <summary>The commit marker written with the COMMIT, if markers are on: its row exists on a node exactly when the unit committed there.</summary>
    public Guid? Token { get; }
}
