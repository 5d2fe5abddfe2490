using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using PgHa.Client.Diagnostics;
using PgHa.Client.EntityFrameworkCore.Internal;

namespace PgHa.Client.EntityFrameworkCore;

/// <summary>
/// The execution strategy <c>UsePgHa</c> installs. It runs an EF operation (a <c>SaveChanges</c>, a query, or the
/// delegate given to <see cref="IExecutionStrategy"/>'s <c>ExecuteAsync</c>) again by PgHa's rules for units of work:
/// <list type="bullet">
/// <item>after the node failed or was demoted before COMMIT was sent (connection refused, reset or closed, class 08,
/// 57P01/57P02/57P03, 25006 on the primary), once the watchdog has published a newer snapshot;</item>
/// <item>after a serialization failure or deadlock (40001, 40P01) if <see cref="PgHaOptions.RetryOnConflict"/>;</item>
/// <item>after a COMMIT cut off in flight was looked up and found not applied (<see cref="PgHaCommitNotAppliedException"/>).</item>
/// </list>
/// It never runs again after <see cref="PgHaCommitOutcomeUnknownException"/> (that could apply the work twice) or an
/// error about the work itself. There is no delay between attempts: the next open waits for the watchdog to find
/// a node instead. Attempts stop when <see cref="PgHaOptions.RetryBudget"/> is spent; as for units of work, it counts
/// the time spent waiting for the cluster (routing opens, the lookup of an in-doubt COMMIT), not the operation's own work.
/// </summary>
/// <remarks>
/// As with any retrying strategy, a transaction begun by the application must run inside the strategy:
/// <c>await db.Database.CreateExecutionStrategy().ExecuteAsync(async () => { await using var tx = await db.Database.BeginTransactionAsync(); ... })</c>.
/// </remarks>
public sealed class PgHaExecutionStrategy : ExecutionStrategy
{
    private PgHaContextState? _state;
    private long _started;
    private TimeSpan _waited;

    /// <summary>Creates the strategy for a context configured with <c>UsePgHa</c>.</summary>
    public PgHaExecutionStrategy(ExecutionStrategyDependencies dependencies)
        : base(dependencies, maxRetryCount: int.MaxValue, maxRetryDelay: TimeSpan.Zero)
    {
    }

    internal DbContext Context => Dependencies.CurrentContext.Context;

    /// <summary>What is left of the retry budget of the operation running now.</summary>
    internal TimeSpan RemainingBudget => State.DataSource.Options.RetryBudget - _waited;

    /// <summary>An open of the operation waited this long for the cluster.</summary>
    internal void SpentWaiting(TimeSpan waited) => _waited += waited;

    private PgHaContextState State => _state ??= PgHaContextState.Of(Context)
        ?? throw new InvalidOperationException($"{nameof(PgHaExecutionStrategy)} needs a context configured with UsePgHa.");

    /// <inheritdoc />
    protected override void OnFirstExecution()
    {
        base.OnFirstExecution();
        _started = TimeProvider.System.GetTimestamp();
        _waited = TimeSpan.Zero;
    }

    /// <inheritdoc />
    protected override bool ShouldRetryOn(Exception exception) => RetryDecision.ShouldRetry(exception, State);

    /// <summary>Zero while the retry budget lasts: the next open waits for the watchdog, not for a timer.</summary>
    /// <exception cref="RetryLimitExceededException">The retry budget is spent; the message lists each attempt's error and the cluster's state.</exception>
    protected override TimeSpan? GetNextDelay(Exception lastException)
    {
        var failure = CallOnWrappedException(lastException, static e => e);
        RetryDecision.NoteFailure(failure, State, Context);
        var options = State.DataSource.Options;
        // A conflict runs again at once without waiting for the cluster: bounded by the operation's whole time instead.
        var spent = RetryDecision.ReasonFor(failure) == Resilience.RetryReason.Conflict
            ? TimeProvider.System.GetElapsedTime(_started) >= options.RetryBudget
            : RemainingBudget <= TimeSpan.Zero;
        if (spent)
            throw new RetryLimitExceededException(GaveUpMessage(options), lastException);
        State.DataSource.Metrics.Retried(RetryDecision.ReasonFor(failure));
        return TimeSpan.Zero;
    }

    private string GaveUpMessage(PgHaOptions options)
    {
        var errors = string.Join("; ", ExceptionsEncountered.Select((e, i) => $"attempt {i + 1}: {CallOnWrappedException(e, static x => x.Message)}"));
        var elapsed = TimeProvider.System.GetElapsedTime(_started);
        return $"PgHa gave up after {ExceptionsEncountered.Count} failed attempt(s) in {elapsed.TotalSeconds:0.0} s, {_waited.TotalSeconds:0.0} s of it waiting for the cluster (retry budget {options.RetryBudget.TotalSeconds:0.#} s): {errors}. Now: {State.DataSource.Topology}";
    }
}
