using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgHa.Client.Diagnostics;
using Npgsql;
using PgHa.Client.Topology;
using Polly;
using Polly.Retry;

namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// Runs units of work through one Polly retry pipeline driven by the error table. A failure before COMMIT was
/// sent is retried after the watchdog publishes a newer snapshot (so a demoted or dead node is not hit again);
/// a failure while COMMIT was in flight is never retried blindly: it becomes <see cref="PgHaCommitOutcomeUnknownException"/>
/// unless the unit is idempotent. There is no sleep between attempts: the next attempt waits for the watchdog.
/// </summary>
internal sealed partial class UnitOfWorkRunner : IAsyncDisposable
{
    private static readonly ResiliencePropertyKey<UnitState> StateKey = new("pgha.unit-of-work");

    private readonly PgHaDataSource _dataSource;
    private readonly PgHaOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly CommitMarkers? _markers;
    private readonly PgHaMetrics _metrics;
    private readonly InDoubtResolver _resolver;

    private readonly CommitMarkerSweeper? _sweeper;

    /// <summary>The commit markers in use, or <see langword="null"/> when in-doubt commits are not resolved.</summary>
    public CommitMarkers? Markers => _markers;

    /// <summary>Deletes old markers; <see langword="null"/> when in-doubt commits are not resolved.</summary>
    public CommitMarkerSweeper? Sweeper => _sweeper;

    public UnitOfWorkRunner(PgHaDataSource dataSource, PgHaOptions options, TimeProvider time, ILogger logger, PgHaMetrics metrics)
    {
        _metrics = metrics;
        _dataSource = dataSource;
        _options = options;
        _time = time;
        _logger = logger;
        if (options.ResolveInDoubtCommits)
        {
            _markers = new CommitMarkers(options.CommitMarkerTable);
            _sweeper = new CommitMarkerSweeper(dataSource, _markers, options.CommitMarkerRetention, time, logger);
        }

        _resolver = new InDoubtResolver(dataSource, _markers, options, time, logger, metrics);

        _pipeline = new ResiliencePipelineBuilder { Name = $"{options.ClusterName}/unit-of-work", TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context, args.Outcome.Exception)),
                MaxRetryAttempts = int.MaxValue, // bounded by the budget in ShouldRetry
                Delay = TimeSpan.Zero,
                BackoffType = DelayBackoffType.Constant,
                UseJitter = false,
                OnRetry = args => OnRetryAsync(args.Context.Properties.GetValue(StateKey, null!), args.AttemptNumber + 2, args.Outcome.Exception!),
            })
            .Build();
    }

    /// <summary>Runs attempts until one succeeds, an error is not retryable, or the budget is spent. <c>operation</c> ("write" or "read") names the trace span.</summary>
    public async Task<T> RunAsync<T>(string operation, Func<UnitState, CancellationToken, Task<T>> attempt, UnitOfWorkOptions? unit, PgHaSession? session, CancellationToken cancellationToken)
    {
        var state = new UnitState(unit?.RetryBudget ?? _options.RetryBudget, unit?.IsIdempotent ?? false, _time, unit) { WantsPosition = session is not null };
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(StateKey, state);
        using var activity = PgHaTelemetry.Source.StartActivity($"pgha.unit_of_work.{operation}");
        activity?.SetTag("pgha.cluster", _options.ClusterName);
        try
        {
            var result = await _pipeline.ExecuteAsync(
                static async (ctx, s) => await s.attempt(s.state, ctx.CancellationToken).ConfigureAwait(false),
                context, (attempt, state)).ConfigureAwait(false);
            session?.Observe(new PgHaConsistencyToken(state.CommitPosition));
            return result;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && GaveUp(ex, state))
        {
            var message = $"Gave up after {state.Attempts} attempt(s) in {state.Elapsed.TotalSeconds:0.0} s, {state.Waited.TotalSeconds:0.0} s of it waiting for the cluster (retry budget {state.Budget.TotalSeconds:0.#} s): {state.History}. Now: {_dataSource.Topology}";
            activity?.SetStatus(ActivityStatusCode.Error, message);
            // An idempotent unit whose earlier COMMIT was cut off and that could not be run again: it may have committed.
            if (state.InDoubtOn is { } node)
                throw new PgHaCommitOutcomeUnknownException(message, node, CommitOutcomeUnknownReason.BudgetExhausted, token: null, _dataSource.Topology, ex);
            throw new PgHaException(message, _dataSource.Topology, ex);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
        finally
        {
            activity?.SetTag("pgha.unit_of_work.attempts", state.Attempts);
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public ValueTask DisposeAsync() => _sweeper?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>One attempt of a write: a transaction on the primary, committed.</summary>
    public async Task<T> WriteAttemptAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, UnitState state, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(TargetRole.Primary, state, cancellationToken).ConfigureAwait(false);
        var node = EndPointOf(connection);
        var loss = _dataSource.LossOf(node);
        try
        {
            if (_markers is not null)
                await _markers.EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var result = await work(connection, transaction, cancellationToken).ConfigureAwait(false);
            state.CommitPosition = await CommitAsync(connection, transaction, node, state, cancellationToken).ConfigureAwait(false);
            _sweeper?.AfterWrite();
            return result;
        }
        catch (Exception ex) when (ex is not (PgHaCommitOutcomeUnknownException or PgHaCommitNotAppliedException or PgHaCommitNotReplicatedException))
        {
            var failure = Released(ex, node, loss, cancellationToken);
            NoteFailure(node, state, failure);
            if (!ReferenceEquals(failure, ex))
                throw failure;
            throw;
        }
        finally
        {
            // Disposing the connection rolls back whatever was not committed, unless an unanswered COMMIT
            // still owns it (see CommitAsync).
            if (!state.CommitAbandoned)
                await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One attempt of a read: a connection routed by the role (and the token, if any), no transaction of ours.</summary>
    public async Task<T> ReadAttemptAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, TargetRole role, PgHaConsistencyToken token, UnitState state, CancellationToken cancellationToken)
    {
        var connection = token.IsNone
            ? await OpenAsync(role, state, cancellationToken).ConfigureAwait(false)
            : await OpenConsistentAsync(role, token, state, cancellationToken).ConfigureAwait(false);
        var node = EndPointOf(connection);
        var loss = _dataSource.LossOf(node);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                return await work(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var failure = Released(ex, node, loss, cancellationToken);
                NoteFailure(node, state, failure);
                if (!ReferenceEquals(failure, ex))
                    throw failure;
                throw;
            }
        }
    }

    /// <summary>
    /// The watchdog released the attempt's node while the unit ran: whatever the unit threw then (the connection error
    /// itself, or what its code made of it, such as "connection is not open" on its next command) is that release,
    /// unless the server itself answered it.
    /// </summary>
    private static Exception Released(Exception exception, NodeEndPoint node, CancellationTokenSource? loss, CancellationToken cancellationToken)
        => loss is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested
           && FailureClassifier.Classify(exception).Retry != RetryKind.AfterFailover && exception is not (PgHaException or PostgresException)
            ? new NodeReleasedException(node, exception)
            : exception;
}
