using Npgsql;
using PgHa.Agent.Configuration;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

/// <summary>
/// The HA loop's look at the local server. A loaded primary may answer the state query slowly; that is not a server
/// that is down. The query may run for <c>StateQueryTimeout</c>; the loop waits for it at most <c>RetryTimeout</c> and
/// otherwise goes on with the last observation, marked stale (<see cref="ObservedPostgres.IsStale"/>), while the query
/// keeps running. Only a query that fails, or runs past <c>StateQueryTimeout</c>, makes the server "starting" or "stopped".
/// </summary>
internal sealed class StateProbe(AgentOptions options, PostgresController postgres)
{
    private Task<PostgresState>? _query;
    private ObservedPostgres? _last;

    /// <summary>Observes the server, waiting for the state query at most <c>RetryTimeout</c>.</summary>
    public async Task<ObservedPostgres> ObserveAsync(CancellationToken ct)
    {
        if (!postgres.IsInitialized)
            return _last = new ObservedPostgres(LocalPostgresStatus.NotInitialized, null, "uninitialized");
        var query = _query ??= QueryAsync(ct);
        try
        {
            var s = await query.WaitAsync(options.RetryTimeout, ct).ConfigureAwait(false);
            _query = null;
            return _last = new ObservedPostgres(s.IsPrimary ? LocalPostgresStatus.RunningPrimary : LocalPostgresStatus.RunningReplica, s, "running");
        }
        catch (TimeoutException) when (!query.IsCompleted && !ct.IsCancellationRequested)
        {
            return (_last is { Status: LocalPostgresStatus.RunningPrimary or LocalPostgresStatus.RunningReplica } last
                ? last
                : new ObservedPostgres(LocalPostgresStatus.Unreachable, null, "starting")) with { IsStale = true };
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException && !ct.IsCancellationRequested)
        {
            _query = null;
            var running = await postgres.IsRunningAsync(ct).ConfigureAwait(false);
            return _last = running
                ? new ObservedPostgres(LocalPostgresStatus.Unreachable, null, "starting")
                : new ObservedPostgres(LocalPostgresStatus.Stopped, null, "stopped");
        }
    }

    /// <summary>
    /// What the loop may do on a stale observation. The server's role cannot change behind the agent's back (only a
    /// crash, which fails the query at once), so a stale primary still renews its lease (its housekeeping waits), steps
    /// down or takes its key back; a demotion is safe on any state; a leader whose server never answered keeps its key
    /// within <c>PrimaryStartTimeout</c> as before. Everything else (promote, follow, rewind, start) waits for a fresh state.
    /// </summary>
    public static HaAction Gate(HaAction action, ObservedPostgres observed)
        => !observed.IsStale
           || observed.Status == LocalPostgresStatus.RunningPrimary
           || action.Kind is HaActionKind.DemoteAndFollow or HaActionKind.None
           || (action.Kind == HaActionKind.RestartInPlace && observed.Status == LocalPostgresStatus.Unreachable)
            ? action
            : new HaAction(HaActionKind.None, $"PostgreSQL's state query is still running: waiting for a fresh state before {action.Kind} ({action.Reason})", action.Leader);

    private Task<PostgresState> QueryAsync(CancellationToken ct) => Task.Run(
        async () =>
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(options.StateQueryTimeout);
            return await postgres.QueryStateAsync(options.StateQueryTimeout, limit.Token).ConfigureAwait(false);
        },
        CancellationToken.None);
}
