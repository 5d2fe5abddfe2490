using Npgsql;
using NpgsqlTypes;
using PgHa.Client.Diagnostics;
using PgHa.Client.Topology;

namespace PgHa.Client.Resilience.Internal;

internal sealed partial class UnitOfWorkRunner
{
    /// <summary>
    /// Commits an attempt (see <see cref="CommitMarkers.CommitBatch"/>) and returns the consistency position. The
    /// COMMIT is never cancelled: cancelling one that waits for a synchronous standby makes PostgreSQL commit it
    /// locally, unreplicated, and report success. It races what is left of the budget and the caller's token
    /// instead; if it loses, the connection is left to finish in the background. A COMMIT cut off in flight is
    /// looked up on the primary (<see cref="ResolveAsync"/>) unless that is turned off.
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
        var commit = CommitMarkers.ReadBatchAsync(batch);
        if (!await AbandonableCall.FinishesWithinAsync(commit, state.Remaining, _time, cancellationToken, () => ReleaseAsync(batch, connection)).ConfigureAwait(false))
        {
            state.CommitAbandoned = true;
            var (reason, why) = cancellationToken.IsCancellationRequested
                ? (CommitOutcomeUnknownReason.Cancelled, "the caller cancelled")
                : (CommitOutcomeUnknownReason.BudgetExhausted, "the retry budget ran out");
            var doubt = new InDoubtCommit(node, token, systemIdentifier, sentAt, new TimeoutException($"COMMIT got no answer before {why}; it was not cancelled and may still commit."));
            throw OutcomeUnknown(doubt, state, reason, details: null);
        }

        try
        {
            return (await commit.ConfigureAwait(false)).Lsn;
        }
        catch (Exception ex) when (FailureClassifier.Classify(ex).Retry == RetryKind.AfterFailover && !IsAnsweredError(ex, connection))
        {
            var doubt = new InDoubtCommit(node, token, systemIdentifier, sentAt, ex);
            NoteCommitCutOff(doubt, state);
            return await ResolveAsync(doubt, state, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await batch.DisposeAsync().ConfigureAwait(false);
        }
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

    private static async ValueTask ReleaseAsync(NpgsqlBatch batch, NpgsqlConnection connection)
    {
        await batch.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private void NoteCommitCutOff(InDoubtCommit doubt, UnitState state)
    {
        _dataSource.ReportNodeFailure(doubt.Node, doubt.Cause);
        state.FailedOnVersion = _dataSource.Topology.Version;
        state.RecordFailure(doubt.Node, doubt.Cause);
        state.InDoubtOn = doubt.Node;
    }

    /// <summary>
    /// Finds out whether a COMMIT cut off in flight took effect, by looking up its marker on whichever node is
    /// primary now (never a replica: a lagging one would say "absent" wrongly). Loops through failovers, and
    /// while the transaction is still in progress there, until the budget is spent.
    /// </summary>
    /// <returns>The consistency position if it committed.</returns>
    /// <exception cref="PgHaCommitNotAppliedException">It did not commit, and now never will: run the unit again.</exception>
    /// <exception cref="PgHaCommitOutcomeUnknownException">No answer within the budget.</exception>
    private async Task<NpgsqlLogSequenceNumber> ResolveAsync(InDoubtCommit doubt, UnitState state, CancellationToken cancellationToken)
    {
        if (_markers is null || doubt.Token is not { } token)
            throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.ResolutionDisabled, details: null);
        var reason = CommitOutcomeUnknownReason.NoPrimary;
        var lookups = new List<string>();
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
                throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.Cancelled, lookups);
            if (state.Remaining <= TimeSpan.Zero)
                throw OutcomeUnknown(doubt, state, reason, lookups);
            if (_time.GetElapsedTime(doubt.SentAt) > _options.CommitMarkerRetention / 2)
                throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.MarkerMayHaveExpired, lookups);

            NpgsqlConnection connection;
            try
            {
                connection = await OpenAfterFailureAsync(TargetRole.Primary, state, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.Cancelled, lookups);
            }
            catch (Exception ex) when (ex is PgHaException || FailureClassifier.Classify(ex).Retry == RetryKind.AfterFailover)
            {
                lookups.Add($"no primary to ask ({ex.Message})");
                reason = CommitOutcomeUnknownReason.NoPrimary;
                continue;
            }

            var node = EndPointOf(connection);
            if (doubt.SystemIdentifier is { } sent && _dataSource.Describe(node)?.SystemIdentifier is { } now && now != sent)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.DifferentCluster, [$"{node} has system identifier {now}, the COMMIT went to {sent}"]);
            }

            var batch = _markers.LookupBatch(connection, token, Min(state.Remaining, LookupLockTimeout));
            var lookup = CommitMarkers.ReadBatchAsync(batch);
            if (!await AbandonableCall.FinishesWithinAsync(lookup, state.Remaining, _time, cancellationToken, () => ReleaseAsync(batch, connection)).ConfigureAwait(false))
            {
                lookups.Add($"{node}: the lookup got no answer in time (its own COMMIT may be waiting for a synchronous standby)");
                reason = cancellationToken.IsCancellationRequested ? CommitOutcomeUnknownReason.Cancelled : CommitOutcomeUnknownReason.StillInProgress;
                continue;
            }

            try
            {
                var (kind, lsn) = await lookup.ConfigureAwait(false);
                if (kind == CommitMarkers.Committed.ToString())
                {
                    CountInDoubt("committed");
                    LogResolved(_logger, doubt.Node, token, "committed", node);
                    return lsn;
                }

                CountInDoubt("not_committed");
                LogResolved(_logger, doubt.Node, token, "not committed (fenced)", node);
                throw new PgHaCommitNotAppliedException($"The COMMIT cut off on {doubt.Node} did not take effect (marker {token} fenced on {node}); it is safe to run again.", doubt.Node, _dataSource.Topology, doubt.Cause);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                lookups.Add($"{node}: the transaction is still in progress there");
                reason = CommitOutcomeUnknownReason.StillInProgress;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InsufficientPrivilege)
            {
                throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.MarkerTableUnavailable, [$"{node}: {ex.SqlState} {ex.MessageText}"]);
            }
            catch (Exception ex) when (FailureClassifier.Classify(ex).Retry == RetryKind.AfterFailover)
            {
                _dataSource.ReportNodeFailure(node, ex);
                state.FailedOnVersion = _dataSource.Topology.Version;
                lookups.Add($"{node}: {ex.Message}");
                reason = CommitOutcomeUnknownReason.NoPrimary;
            }
            catch (Exception ex) when (ex is not PgHaCommitNotAppliedException)
            {
                // Whatever went wrong, the COMMIT is still in doubt: never let this pass for an ordinary error.
                throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.LookupFailed, [$"{node}: {ex.GetType().Name}: {ex.Message}"]);
            }
            finally
            {
                await ReleaseAsync(batch, connection).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How long one lookup waits for a transaction still holding the marker's key before trying again.</summary>
    private static readonly TimeSpan LookupLockTimeout = TimeSpan.FromSeconds(2);

    private void CountInDoubt(string resolution)
        => _metrics.InDoubtCommit(resolution);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private PgHaCommitOutcomeUnknownException OutcomeUnknown(InDoubtCommit doubt, UnitState state, CommitOutcomeUnknownReason reason, IReadOnlyList<string>? details)
    {
        if (state.InDoubtOn is null)
            NoteCommitCutOff(doubt, state);
        CountInDoubt("unknown");
        var message = $"The connection to {doubt.Node} failed while COMMIT was in flight and whether it took effect is unknown ({reason}), so the unit of work was not run again. {doubt.Cause.Message}";
        if (details is { Count: > 0 })
            message += $" Lookups: {string.Join("; ", details)}.";
        if (doubt.Token is { } token)
            message += $" Check on any node: SELECT kind FROM {_markers?.Table} WHERE token = '{token}' (c: committed there, f: never).";
        return new PgHaCommitOutcomeUnknownException(message, doubt.Node, reason, doubt.Token, _dataSource.Topology, doubt.Cause);
    }
}
