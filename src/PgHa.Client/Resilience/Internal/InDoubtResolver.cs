using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using PgHa.Client.Diagnostics;
using PgHa.Client.Topology;

namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// Finds out whether a COMMIT whose answer cannot be trusted took effect: one cut off in flight (its connection broke,
/// or the watchdog released it from a lost node), or one answered by a node that is no longer the writable primary. It
/// looks up the commit marker on whichever node is primary now (never a replica: a lagging one would say "absent"
/// wrongly), with an upsert that fences the marker when absent, so the answer is final in the surviving history.
/// Loops through failovers, and while the transaction is still in progress there, until the unit's budget is spent.
/// </summary>
internal sealed partial class InDoubtResolver(PgHaDataSource dataSource, CommitMarkers? markers, PgHaOptions options, TimeProvider time, ILogger logger, PgHaMetrics metrics)
{
    /// <summary>How long one lookup waits for a transaction still holding the marker's key before trying again.</summary>
    private static readonly TimeSpan LookupLockTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Records the doubt on the unit and, when the COMMIT was cut off (not merely answered by a deposed node), asks the watchdog to re-probe.</summary>
    public void Note(InDoubtCommit doubt, UnitState state, bool reportNode = true)
    {
        if (reportNode)
            state.LastFailure = dataSource.ReportNodeFailure(doubt.Node, doubt.Cause);
        state.RecordFailure(doubt.Node, doubt.Cause);
        state.InDoubtOn = doubt.Node;
    }

    /// <returns>The consistency position if it committed.</returns>
    /// <exception cref="PgHaCommitNotAppliedException">It did not commit, and now never will: run the unit again.</exception>
    /// <exception cref="PgHaCommitOutcomeUnknownException">No answer within the budget.</exception>
    public async Task<NpgsqlLogSequenceNumber> ResolveAsync(InDoubtCommit doubt, UnitState state, CancellationToken cancellationToken)
    {
        if (markers is null || doubt.Token is not { } token)
            throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.ResolutionDisabled, details: null);
        var reason = CommitOutcomeUnknownReason.NoPrimary;
        var lookups = new List<string>();
        state.BeginWait();
        try
        {
            while (true)
            {
                if (cancellationToken.IsCancellationRequested)
                    throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.Cancelled, lookups);
                if (state.Remaining <= TimeSpan.Zero)
                    throw OutcomeUnknown(doubt, state, reason, lookups);
                if (time.GetElapsedTime(doubt.SentAt) > options.CommitMarkerRetention / 2)
                    throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.MarkerMayHaveExpired, lookups);

                NpgsqlConnection connection;
                try
                {
                    await dataSource.WaitUntilAccountedForAsync(state.LastFailure, Positive(state.Remaining), cancellationToken).ConfigureAwait(false);
                    connection = await dataSource.OpenForUnitAsync(TargetRole.Primary, Positive(state.Remaining), cancellationToken).ConfigureAwait(false);
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

                var node = new NodeEndPoint(connection.Host ?? "", connection.Port);
                if (doubt.SystemIdentifier is { } sent && dataSource.Describe(node)?.SystemIdentifier is { } now && now != sent)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.DifferentCluster, [$"{node} has system identifier {now}, the COMMIT went to {sent}"]);
                }

                var (answer, details) = await LookUpAsync(connection, node, doubt, token, state, cancellationToken).ConfigureAwait(false);
                switch (answer)
                {
                    case LookupAnswer.Committed:
                        metrics.InDoubtCommit("committed");
                        LogResolved(logger, doubt.Node, token, "committed", node);
                        return details.Position;
                    case LookupAnswer.NotCommitted:
                        metrics.InDoubtCommit("not_committed");
                        LogResolved(logger, doubt.Node, token, "not committed (fenced)", node);
                        state.InDoubtOn = null; // settled: nothing of this attempt can commit any more
                        throw new PgHaCommitNotAppliedException($"The COMMIT sent to {doubt.Node} did not take effect (marker {token} fenced on {node}); it is safe to run again.", doubt.Node, dataSource.Topology, doubt.Cause);
                    default:
                        lookups.Add(details.Text);
                        reason = details.Reason;
                        break;
                }
            }
        }
        finally
        {
            state.EndWait();
        }
    }

    private async Task<(LookupAnswer Answer, LookupDetails Details)> LookUpAsync(NpgsqlConnection connection, NodeEndPoint node, InDoubtCommit doubt, Guid token, UnitState state, CancellationToken cancellationToken)
    {
        var batch = markers!.LookupBatch(connection, token, Min(state.Remaining, LookupLockTimeout));
        var lookup = CommitMarkers.ReadBatchAsync(batch);
        // The lookup is never cancelled either (it commits); a node lost meanwhile has its socket released by the watchdog.
        if (!await AbandonableCall.FinishesWithinAsync(lookup, state.Remaining, time, cancellationToken, () => ReleaseAsync(batch, connection)).ConfigureAwait(false))
        {
            return (LookupAnswer.Retry, new($"{node}: the lookup got no answer in time (its own COMMIT may be waiting for a synchronous standby)",
                cancellationToken.IsCancellationRequested ? CommitOutcomeUnknownReason.Cancelled : CommitOutcomeUnknownReason.StillInProgress, default));
        }

        try
        {
            var (kind, lsn) = await lookup.ConfigureAwait(false);
            return kind == CommitMarkers.Committed.ToString()
                ? (LookupAnswer.Committed, new("", default, lsn))
                : (LookupAnswer.NotCommitted, default);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return (LookupAnswer.Retry, new($"{node}: the transaction is still in progress there", CommitOutcomeUnknownReason.StillInProgress, default));
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InsufficientPrivilege)
        {
            throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.MarkerTableUnavailable, [$"{node}: {ex.SqlState} {ex.MessageText}"]);
        }
        catch (Exception ex) when (FailureClassifier.Classify(ex).Retry == RetryKind.AfterFailover)
        {
            state.LastFailure = dataSource.ReportNodeFailure(node, ex);
            return (LookupAnswer.Retry, new($"{node}: {ex.Message}", CommitOutcomeUnknownReason.NoPrimary, default));
        }
        catch (Exception ex) when (ex is not PgHaException)
        {
            // Whatever went wrong, the COMMIT is still in doubt: never let this pass for an ordinary error.
            throw OutcomeUnknown(doubt, state, CommitOutcomeUnknownReason.LookupFailed, [$"{node}: {ex.GetType().Name}: {ex.Message}"]);
        }
        finally
        {
            await ReleaseAsync(batch, connection).ConfigureAwait(false);
        }
    }

    public PgHaCommitOutcomeUnknownException OutcomeUnknown(InDoubtCommit doubt, UnitState state, CommitOutcomeUnknownReason reason, IReadOnlyList<string>? details)
    {
        if (state.InDoubtOn is null)
            Note(doubt, state);
        metrics.InDoubtCommit("unknown");
        var message = $"The COMMIT sent to {doubt.Node} got no answer PgHa could trust ({doubt.Cause.Message}), and whether it took effect is unknown ({reason}), so the unit of work was not run again.";
        if (details is { Count: > 0 })
            message += $" Lookups: {string.Join("; ", details)}.";
        if (doubt.Token is { } token)
            message += $" Check on any node: SELECT kind FROM {markers?.Table} WHERE token = '{token}' (c: committed there, f: never).";
        return new PgHaCommitOutcomeUnknownException(message, doubt.Node, reason, doubt.Token, dataSource.Topology, doubt.Cause);
    }

    internal static async ValueTask ReleaseAsync(NpgsqlBatch batch, NpgsqlConnection connection)
    {
        await batch.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Positive(TimeSpan value) => value > TimeSpan.Zero ? value : TimeSpan.Zero;

    private enum LookupAnswer
    {
        Committed,
        NotCommitted,
        Retry,
    }

    private readonly record struct LookupDetails(string Text, CommitOutcomeUnknownReason Reason, NpgsqlLogSequenceNumber Position);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "A COMMIT sent to {Node} whose answer could not be trusted was looked up on {Primary}: {Outcome} (marker {Token})")]
    private static partial void LogResolved(ILogger logger, NodeEndPoint node, Guid token, string outcome, NodeEndPoint primary);
}
