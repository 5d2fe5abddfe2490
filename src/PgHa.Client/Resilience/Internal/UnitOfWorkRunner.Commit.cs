using Npgsql;
using NpgsqlTypes;
using PgHa.Client.Topology;

namespace PgHa.Client.Resilience.Internal;

internal sealed partial class UnitOfWorkRunner
{
    /// <summary>
    /// Commits an attempt (see <see cref="CommitMarkers.CommitBatch"/>) and returns the consistency position.
    /// <list type="bullet">
    /// <item>The COMMIT is never cancelled: cancelling one that waits for a synchronous standby makes PostgreSQL commit
    /// it locally, unreplicated, and report success. Nor does it race the retry budget: on a node that answers it may
    /// take as long as it takes. If the node stops answering, the watchdog declares it lost and releases the
    /// connection, which cuts the COMMIT off. Only the caller's token abandons it (left to finish in the background).</item>
    /// <item>A COMMIT cut off in flight, or answered by a node the topology no longer shows as the writable primary
    /// (superseded by a newer timeline, fenced, down), is looked up through its marker on the primary of now
    /// (<see cref="InDoubtResolver"/>), so a deposed primary's late "committed" never reaches the caller.</item>
    /// <item>A COMMIT whose synchronous-replication wait the server cancelled (pg_cancel_backend) answers success with
    /// a warning: that is reported as <see cref="PgHaCommitNotReplicatedException"/>, not as a success.</item>
    /// </list>
    /// </summary>
    private async Task<NpgsqlLogSequenceNumber> CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, NodeEndPoint node, UnitState state, CancellationToken cancellationToken)
    {
        // A unit that committed or rolled back itself would be reported as committed (or worse, run twice).
        if (IsCompleted(transaction))
            throw new InvalidOperationException("A unit of work must not commit or roll back its transaction: PgHa commits it, so it can tell what happened if the connection fails during COMMIT.");
        // A connection already broken before COMMIT was sent: nothing was committed, the unit is safe to run again.
        if (connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || connection.State != System.Data.ConnectionState.Open)
            throw new NpgsqlException("The connection broke before COMMIT was sent.", new IOException("connection broken"));

        var token = _markers is null ? (Guid?)null : Guid.CreateVersion7(_time.GetUtcNow());
        var sentAt = _time.GetTimestamp();
        var systemIdentifier = _dataSource.Describe(node)?.SystemIdentifier;
        var batch = CommitMarkers.CommitBatch(connection, transaction, _markers, token, state.WantsPosition);
        // Prepared once per physical connection (later calls find it prepared and send nothing): the commit batch
        // then costs the server no parsing or planning. A failure here is before COMMIT was sent, so not in doubt.
        await batch.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var replication = new SyncReplicationNotices(connection);
        var commit = CommitMarkers.ReadBatchAsync(batch);
        if (!await AbandonableCall.FinishesWithinAsync(commit, Timeout.InfiniteTimeSpan, _time, cancellationToken, () => AbandonedAsync(commit, batch, connection, replication, node, token, sentAt)).ConfigureAwait(false))
        {
            state.CommitAbandoned = true;
            var doubt = new InDoubtCommit(node, token, systemIdentifier, sentAt, new TimeoutException("The caller cancelled while COMMIT had no answer; it was not cancelled and may still commit."));
            throw _resolver.OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.Cancelled, details: null);
        }

        NpgsqlLogSequenceNumber position;
        try
        {
            position = (await commit.ConfigureAwait(false)).Lsn;
        }
        catch (Exception ex) when (FailureClassifier.Classify(ex).Retry == RetryKind.AfterFailover && !IsAnsweredError(ex, connection))
        {
            var doubt = new InDoubtCommit(node, token, systemIdentifier, sentAt, ex);
            _resolver.Note(doubt, state);
            return await _resolver.ResolveAsync(doubt, state, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            replication.Dispose();
            await batch.DisposeAsync().ConfigureAwait(false);
        }

        if (replication.CancelledWait is { } warning)
            throw new PgHaCommitNotReplicatedException(node, token, warning, _dataSource.Topology);
        if (!await _dataSource.StaysWritablePrimaryAsync(node, state, cancellationToken).ConfigureAwait(false))
        {
            var doubt = new InDoubtCommit(node, token, systemIdentifier, sentAt,
                new PgHaException($"COMMIT was answered by {node}, which the topology no longer shows as the writable primary: {_dataSource.Topology}", _dataSource.Topology));
            _resolver.Note(doubt, state, reportNode: false);
            return await _resolver.ResolveAsync(doubt, state, cancellationToken).ConfigureAwait(false);
        }

        return position;
    }

    /// <summary>Whether the transaction already ended (tx.Commit, or a COMMIT/ROLLBACK statement); Npgsql then refuses its properties.</summary>
    private static bool IsCompleted(NpgsqlTransaction transaction)
    {
        try
        {
            _ = transaction.IsolationLevel;
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>An ERROR answered on a connection still open (25006 on the marker INSERT, say): the server ended the transaction, nothing is in doubt.</summary>
    private static bool IsAnsweredError(Exception exception, NpgsqlConnection connection)
        => exception is PostgresException { InvariantSeverity: "ERROR" } && connection.State == System.Data.ConnectionState.Open;

    /// <summary>A COMMIT the caller stopped waiting for has ended: say how, then give its connection back.</summary>
    private async ValueTask AbandonedAsync(Task commit, NpgsqlBatch batch, NpgsqlConnection connection, SyncReplicationNotices replication, NodeEndPoint node, Guid? token, long sentAt)
    {
        var outcome = commit.Status == TaskStatus.RanToCompletion
            ? replication.CancelledWait is null ? "committed" : "committed locally, replication not confirmed"
            : $"failed ({commit.Exception?.GetBaseException().Message})";
        LogAbandonedCommitEnded(_logger, node, _time.GetElapsedTime(sentAt).TotalSeconds, outcome, token);
        replication.Dispose();
        await InDoubtResolver.ReleaseAsync(batch, connection).ConfigureAwait(false);
    }
}
