using Npgsql;
using PgHa.Client.Topology;

namespace PgHa.Client;

/// <summary>
/// The COMMIT took effect on the primary, but its wait for synchronous standbys was cancelled on the server (by
/// <c>pg_cancel_backend</c>, say), so PostgreSQL answered success with a warning: the transaction may exist on the
/// primary only, and would be lost if the primary failed before a standby received it. It is not run again (it did
/// commit); whether to accept it, wait for the standbys to catch up, or alert is the application's call.
/// </summary>
public sealed class PgHaCommitNotReplicatedException : PgHaException
{
    /// <summary>Creates the exception.</summary>
    public PgHaCommitNotReplicatedException(NodeEndPoint node, Guid? token, PostgresNotice warning, ClusterTopology? topology)
        : base($"The COMMIT on {node} took effect there, but its wait for synchronous replication was cancelled on the server ({warning.MessageText}): " +
               "the transaction is committed on the primary and may not be on any standby yet.", topology)
    {
        Node = node;
        Token = token;
        Warning = warning;
    }

    /// <summary>The node the COMMIT ran on.</summary>
    public NodeEndPoint Node { get; }

    /// <summary>The COMMIT's marker, if markers are on.</summary>
    public Guid? Token { get; }

    /// <summary>The server's warning.</summary>
    public PostgresNotice Warning { get; }
}
