using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgHa.Client.Resilience;
using PgHa.Client.Resilience.Internal;
using PgHa.Client.Topology.Internal;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>
/// Which failures an EF operation runs again after, from PgHa's error table — the same rules as units of work —
/// and what a failure tells the watchdog.
/// </summary>
internal static class RetryDecision
{
    public static bool ShouldRetry(Exception exception, PgHaContextState state) => exception switch
    {
        PgHaCommitOutcomeUnknownException => false, // it may have committed: running it again could apply it twice
        PgHaCommitNotAppliedException => true,      // fenced on the new primary: it did not commit and now never will
        PgHaException => false,                     // no node fitted within the budget: another attempt cannot help
        _ => FailureClassifier.Classify(exception) switch
        {
            // 25006 on a replica connection is a write sent into a ReadFromReplica scope, not a demoted primary.
            { Node: NodeFailureKind.RoleChanged } => state.Role == TargetRole.Primary,
            { Retry: RetryKind.AfterFailover } => true,
            { Retry: RetryKind.Transient } => state.DataSource.Options.RetryOnConflict,
            _ => false,
        },
    };

    /// <summary>
    /// Before running again after a node failure: has the watchdog re-probe the node at once, and makes the next
    /// open wait for a snapshot that accounts for the failure (the node probed since, no longer trusted, or another
    /// primary), so a dead or demoted node is not picked again. A failure PgHa resolved itself (an in-doubt COMMIT) already waited for the new primary.
    /// </summary>
    public static void NoteFailure(Exception exception, PgHaContextState state, DbContext context)
    {
        if (exception is PgHaException || FailureClassifier.Classify(exception).Retry != RetryKind.AfterFailover)
            return;
        // The node the context's connection was last routed to is where the operation ran, unless the application
        // has since given the context a connection of its own.
        state.LastFailure = state.Node is { } node && state.Manages(context.Database.GetDbConnection())
            ? state.DataSource.ReportNodeFailure(node, exception)
            : NodeFailureMark.None;
    }

    public static RetryReason ReasonFor(Exception exception) => exception switch
    {
        PgHaCommitNotAppliedException => RetryReason.CommitNotApplied,
        _ => FailureClassifier.Classify(exception) switch
        {
            { Retry: RetryKind.Transient } => RetryReason.Conflict,
            { Node: NodeFailureKind.RoleChanged } => RetryReason.RoleChanged,
            _ => RetryReason.NodeFailure,
        },
    };

    /// <summary>An ERROR the server answered on a connection still open: the statement failed, nothing is in doubt.</summary>
    public static bool IsAnsweredError(Exception exception, System.Data.Common.DbConnection? connection)
        => exception is PostgresException { InvariantSeverity: "ERROR" } && connection?.State == System.Data.ConnectionState.Open;
}
