using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgHa.Client.Diagnostics;
using Npgsql;
using PgHa.Client.Topology;
using PgHa.Client.Topology.Internal;
using Polly;

namespace PgHa.Client.Resilience.Internal;

internal sealed partial class UnitOfWorkRunner
{
    private Task<NpgsqlConnection> OpenAsync(TargetRole role, UnitState state, CancellationToken cancellationToken)
    {
        state.BeginAttempt();
        return OpenAfterFailureAsync(role, state, cancellationToken);
    }

    private async Task<NpgsqlConnection> OpenConsistentAsync(TargetRole role, PgHaConsistencyToken token, UnitState state, CancellationToken cancellationToken)
    {
        state.BeginAttempt();
        state.BeginWait();
        try
        {
            await _dataSource.WaitUntilAccountedForAsync(state.LastFailure, Positive(state.Remaining), cancellationToken).ConfigureAwait(false);
            return await _dataSource.OpenConsistentAsync(role, token, cancellationToken, Positive(state.Remaining)).ConfigureAwait(false);
        }
        finally
        {
            state.EndWait();
        }
    }

    /// <summary>Routes only on a snapshot that accounts for the last failure (see <see cref="NodeFailureMark"/>), then opens; all of it counts against the budget.</summary>
    private async Task<NpgsqlConnection> OpenAfterFailureAsync(TargetRole role, UnitState state, CancellationToken cancellationToken)
    {
        state.BeginWait();
        try
        {
            await _dataSource.WaitUntilAccountedForAsync(state.LastFailure, Positive(state.Remaining), cancellationToken).ConfigureAwait(false);
            return await _dataSource.OpenForUnitAsync(role, Positive(state.Remaining), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            state.EndWait();
        }
    }

    private static TimeSpan Positive(TimeSpan value) => value > TimeSpan.Zero ? value : TimeSpan.Zero;

    // Read while the connection is open: once it breaks, Npgsql no longer knows its host and port.
    private static NodeEndPoint EndPointOf(NpgsqlConnection connection) => new(connection.Host ?? "", connection.Port);

    private void NoteFailure(NodeEndPoint node, UnitState state, Exception exception)
    {
        if (FailureClassifier.Classify(exception).Retry == RetryKind.AfterFailover)
            state.LastFailure = _dataSource.ReportNodeFailure(node, exception);

        state.RecordFailure(node, exception);
    }

    private async ValueTask OnRetryAsync(UnitState state, int attemptNumber, Exception exception)
    {
        var reason = exception switch
        {
            PgHaCommitNotAppliedException => RetryReason.CommitNotApplied,
            PgHaCommitOutcomeUnknownException => RetryReason.CommitOutcomeUnknown,
            _ => FailureClassifier.Classify(exception) switch
            {
                { Retry: RetryKind.Transient } => RetryReason.Conflict,
                { Node: NodeFailureKind.RoleChanged } => RetryReason.RoleChanged,
                _ => RetryReason.NodeFailure,
            },
        };
        LogRetry(_logger, attemptNumber, reason, exception.Message, state.Remaining.TotalSeconds);
        _metrics.Retried(reason);
        Activity.Current?.AddEvent(new ActivityEvent("pgha.retry", tags: new ActivityTagsCollection
        {
            ["pgha.retry.attempt"] = attemptNumber,
            ["pgha.retry.reason"] = reason.ToString(),
            ["pgha.node"] = state.LastFailedNode?.ToString(),
        }));
        if (state.Options?.OnRetry is { } callback)
            await callback(new UnitOfWorkRetry(attemptNumber, reason, exception, state.LastFailedNode, state.Remaining)).ConfigureAwait(false);
    }

    private bool ShouldRetry(ResilienceContext context, Exception? exception)
    {
        if (exception is null || context.CancellationToken.IsCancellationRequested)
            return false;
        var state = context.Properties.GetValue(StateKey, null!);
        if (!IsRetryable(exception, state))
            return false;
        // A conflict is run again at once, without waiting for the cluster, so it would never spend the budget: a unit
        // that keeps conflicting is bounded by its whole time instead.
        return exception is not PgHaException && FailureClassifier.Classify(exception).Retry == RetryKind.Transient
            ? state.Elapsed < state.Budget
            : state.Remaining > TimeSpan.Zero;
    }

    /// <summary>The budget ran out on an error we would have retried, or the wait for a node ran out after earlier
    /// attempts failed. An in-doubt COMMIT surfaces as itself.</summary>
    private bool GaveUp(Exception exception, UnitState state) => exception switch
    {
        PgHaCommitOutcomeUnknownException or PgHaCommitNotReplicatedException => false,
        PgHaCommitNotAppliedException => true,
        PgHaException => state.Attempts > 1,
        _ => IsRetryable(exception, state),
    };

    private bool IsRetryable(Exception exception, UnitState state) => exception switch
    {
        PgHaCommitOutcomeUnknownException => state.IsIdempotent,
        PgHaCommitNotAppliedException => true,
        PgHaException => false, // no node fitted within the remaining budget: retrying cannot help
        _ => FailureClassifier.Classify(exception).Retry switch
        {
            RetryKind.AfterFailover => true,
            RetryKind.Transient => _options.RetryOnConflict,
            _ => false,
        },
    };

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "A COMMIT on {Node} that the caller stopped waiting for ended {Seconds:0.0} s after it was sent: {Outcome} (marker {Token})")]
    private static partial void LogAbandonedCommitEnded(ILogger logger, NodeEndPoint node, double seconds, string outcome, Guid? token);

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Running a unit of work again (attempt {Attempt}, {Reason}) after: {Error}; {RemainingSeconds:0.0} s of its retry budget left")]
    private static partial void LogRetry(ILogger logger, int attempt, RetryReason reason, string error, double remainingSeconds);
}
