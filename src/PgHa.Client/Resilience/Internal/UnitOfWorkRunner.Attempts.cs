using Microsoft.Extensions.Logging;
using Npgsql;
using PgHa.Client.Topology;
using Polly;

namespace PgHa.Client.Resilience.Internal;

internal sealed partial class UnitOfWorkRunner
{
    private async Task<NpgsqlConnection> OpenAsync(TargetRole role, UnitState state, CancellationToken cancellationToken)
    {
        state.BeginAttempt();
        // After a failure, route only on a snapshot taken after the watchdog re-probed the failed node.
        if (state.FailedOnVersion >= 0 && _dataSource.Topology.Version == state.FailedOnVersion)
            await _dataSource.WaitForTopologyChangeAsync(state.FailedOnVersion, state.Remaining, cancellationToken).ConfigureAwait(false);
        var wait = state.Remaining > TimeSpan.Zero ? state.Remaining : TimeSpan.Zero;
        return await _dataSource.OpenForUnitAsync(role, wait, cancellationToken).ConfigureAwait(false);
    }

    // Read while the connection is open: once it breaks, Npgsql no longer knows its host and port.
    private static NodeEndPoint EndPointOf(NpgsqlConnection connection) => new(connection.Host ?? "", connection.Port);

    /// <summary>
    /// Sends <c>SELECT 1; COMMIT</c> in one round trip. The SELECT fails with 25P02 if the unit swallowed an error,
    /// where a bare COMMIT would be answered with ROLLBACK and look like success. The COMMIT is never cancelled:
    /// cancelling a COMMIT that waits for a synchronous standby makes PostgreSQL commit locally without replication
    /// and report success. Instead it races what is left of the budget and the caller's token; if it loses, the
    /// connection is left to finish in the background and the outcome is reported as unknown.
    /// </summary>
    private async Task CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, NodeEndPoint node, UnitState state, CancellationToken cancellationToken)
    {
        // A connection already broken before COMMIT was sent: nothing was committed, the unit is safe to run again.
        if (connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || connection.State != System.Data.ConnectionState.Open)
            throw new NpgsqlException("The connection broke before COMMIT was sent.", new IOException("connection broken"));

        var batch = new NpgsqlBatch(connection, transaction) { Timeout = 0 };
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT 1"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        var commit = batch.ExecuteNonQueryAsync(CancellationToken.None);
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var timer = Task.Delay(state.Remaining > TimeSpan.Zero ? state.Remaining : TimeSpan.Zero, _time, deadline.Token);
            if (await Task.WhenAny(commit, timer).ConfigureAwait(false) != commit)
            {
                state.CommitAbandoned = true;
                _ = DisposeWhenDoneAsync(commit, batch, connection);
                var why = cancellationToken.IsCancellationRequested ? "the caller cancelled" : "the retry budget ran out";
                throw InDoubt(node, state, new TimeoutException($"COMMIT got no answer before {why}; it was not cancelled and may still commit."));
            }

            await deadline.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await commit.ConfigureAwait(false);
        }
        catch (Exception ex) when (FailureClassifier.Classify(ex).Retry == RetryKind.AfterFailover)
        {
            throw InDoubt(node, state, ex);
        }
        finally
        {
            await batch.DisposeAsync().ConfigureAwait(false);
        }
    }

    private PgHaCommitOutcomeUnknownException InDoubt(NodeEndPoint node, UnitState state, Exception cause)
    {
        _dataSource.ReportNodeFailure(node, cause);
        state.FailedOnVersion = _dataSource.Topology.Version;
        state.RecordFailure(node, cause);
        state.InDoubtOn = node;
        return new PgHaCommitOutcomeUnknownException(
            $"The connection to {node} failed while COMMIT was in flight: the unit of work may or may not have been committed, so it was not run again. {cause.Message}",
            node, _dataSource.Topology, cause);
    }

    private static async Task DisposeWhenDoneAsync(Task commit, NpgsqlBatch batch, NpgsqlConnection connection)
    {
        try
        {
            await commit.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Already reported as in doubt; how the abandoned COMMIT ends changes nothing.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        await batch.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private void NoteFailure(NodeEndPoint node, UnitState state, Exception exception)
    {
        if (FailureClassifier.Classify(exception).Retry == RetryKind.AfterFailover)
        {
            _dataSource.ReportNodeFailure(node, exception);
            state.FailedOnVersion = _dataSource.Topology.Version;
        }

        state.RecordFailure(node, exception);
    }

    private bool ShouldRetry(ResilienceContext context, Exception? exception)
    {
        if (exception is null || context.CancellationToken.IsCancellationRequested)
            return false;
        var state = context.Properties.GetValue(StateKey, null!);
        return state.Remaining > TimeSpan.Zero && IsRetryable(exception, state);
    }

    /// <summary>The budget ran out on an error we would have retried, or the wait for a node ran out after earlier
    /// attempts failed. An in-doubt COMMIT surfaces as itself.</summary>
    private bool GaveUp(Exception exception, UnitState state) => exception switch
    {
        PgHaCommitOutcomeUnknownException => false,
        PgHaException => state.Attempts > 1,
        _ => IsRetryable(exception, state),
    };

    private bool IsRetryable(Exception exception, UnitState state) => exception switch
    {
        PgHaCommitOutcomeUnknownException => state.IsIdempotent,
        PgHaException => false, // no node fitted within the remaining budget: retrying cannot help
        _ => FailureClassifier.Classify(exception).Retry switch
        {
            RetryKind.AfterFailover => true,
            RetryKind.Transient => _options.RetryOnConflict,
            _ => false,
        },
    };

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Running a unit of work again (attempt {Attempt}) after: {Reason}; {RemainingSeconds:0.0} s of its retry budget left")]
    private static partial void LogRetry(ILogger logger, int attempt, string? reason, double remainingSeconds);
}
