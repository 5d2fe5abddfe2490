using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Dcs.Etcd;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

/// <summary>
/// The HA loop: every <c>LoopWait</c>, or at once when the leader, failover, sync or config key changes (a watch, not
/// polling), it observes the local server, reads the cluster from etcd, publishes this member, decides
/// (<see cref="HaDecider"/>) and acts (<see cref="HaExecutor"/>). One cycle at a time; every DCS call is bounded by
/// <c>RetryTimeout</c>.
/// </summary>
internal sealed partial class HaLoop(
    AgentOptions options,
    EtcdDcs dcs,
    PostgresController postgres,
    HaExecutor executor,
    AgentState state,
    OperatorRequests requests,
    TimeProvider clock,
    ILogger<HaLoop> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private long _watchFrom;
    private string? _lastDecision;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watch = Task.Run(() => WatchAsync(stoppingToken), CancellationToken.None);
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await CycleAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogCycleFailed(logger, ex.Message, ex);
            }

            var rest = options.LoopWait - Stopwatch.GetElapsedTime(started);
            try
            {
                await _wake.WaitAsync(rest > TimeSpan.Zero ? rest : TimeSpan.Zero, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await watch.ConfigureAwait(false);
    }

    /// <summary>Leaves the cluster cleanly: a leader hands its key over at once instead of after <c>ttl</c>.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await executor.ShutDownAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CycleAsync(CancellationToken ct)
    {
        var observed = await ObserveAsync(ct).ConfigureAwait(false);
        ClusterView view;
        try
        {
            view = await Bounded.RunAsync(options.RetryTimeout, dcs.LoadAsync, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsDcsFailure(ex, ct))
        {
            LogDcsUnreachable(logger, ex.Message);
            await executor.OnDcsUnreachableAsync(observed, ct).ConfigureAwait(false);
            observed = await ObserveAsync(ct).ConfigureAwait(false); // the server may have been demoted just now
            Publish(null, observed, new HaAction(HaActionKind.None, "DCS unreachable: " + ex.Message), dcsSeen: false);
            return;
        }

        _watchFrom = view.Revision + 1;
        var local = observed.ToLocal(view);
        try
        {
            await Bounded.RunAsync(options.RetryTimeout, c => dcs.TouchMemberAsync(observed.ToMemberStatus(options), c), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsDcsFailure(ex, ct))
        {
            LogTouchFailed(logger, ex.Message);
        }

        if (requests.TryTake(out var kind, out var completion))
            await executor.HandleRequestAsync(kind, completion, view, local, ct).ConfigureAwait(false);

        var action = HaDecider.Decide(view, local, options, clock.GetUtcNow());
        var decision = $"{action.Kind}: {action.Reason}";
        if (decision != _lastDecision)
            LogDecision(logger, options.Name, decision);
        _lastDecision = decision;
        await executor.ExecuteAsync(action, view, observed, local, ct).ConfigureAwait(false);
        if (action.Kind != HaActionKind.None)
            observed = await ObserveAsync(ct).ConfigureAwait(false); // publish what the action made of the server, not what it was
        Publish(view, observed, action, dcsSeen: true);
    }

    private void Publish(ClusterView? view, ObservedPostgres observed, HaAction action, bool dcsSeen)
    {
        var previous = state.Current;
        state.Publish(new AgentSnapshot(
            view ?? previous.View,
            observed.State,
            observed.Status,
            observed.StateName,
            action,
            dcsSeen ? clock.GetUtcNow() : previous.DcsLastSeen,
            dcs.LeaseDeadline,
            Stopwatch.GetTimestamp(),
            executor.LastReplication));
    }

    /// <summary>Looks at the local server: not initialised, stopped, running but not answering, or a primary/replica with its positions.</summary>
    private async Task<ObservedPostgres> ObserveAsync(CancellationToken ct)
    {
        if (!postgres.IsInitialized)
            return new ObservedPostgres(LocalPostgresStatus.NotInitialized, null, "uninitialized");
        try
        {
            var s = await Bounded.RunAsync(options.RetryTimeout, postgres.QueryStateAsync, ct).ConfigureAwait(false);
            return new ObservedPostgres(s.IsPrimary ? LocalPostgresStatus.RunningPrimary : LocalPostgresStatus.RunningReplica, s, "running");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException && !ct.IsCancellationRequested)
        {
            var running = await postgres.IsRunningAsync(ct).ConfigureAwait(false);
            return running
                ? new ObservedPostgres(LocalPostgresStatus.Unreachable, null, "starting")
                : new ObservedPostgres(LocalPostgresStatus.Stopped, null, "stopped");
        }
    }

    internal static bool IsDcsFailure(Exception ex, CancellationToken ct)
        => !ct.IsCancellationRequested && ex is EtcdException or HttpRequestException or OperationCanceledException or IOException;

    /// <summary>Wakes the loop when a key that changes decisions changes (not on the members' own heartbeats).</summary>
    private async Task WatchAsync(CancellationToken ct)
    {
        var keys = dcs.Keys;
        string[] wakers = [keys.Leader, keys.Failover, keys.Config, keys.Initialize, keys.Sync];
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var change in dcs.WatchAsync(Volatile.Read(ref _watchFrom), ct).ConfigureAwait(false))
                {
                    Volatile.Write(ref _watchFrom, change.ModRevision + 1);
                    if (Array.IndexOf(wakers, change.Key) >= 0 && _wake.CurrentCount == 0)
                    {
                        try
                        {
                            _wake.Release();
                        }
                        catch (SemaphoreFullException)
                        {
                        }
                    }
                }
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // The stream broke (member down, compaction): the loop still runs every LoopWait; watch again shortly.
                Volatile.Write(ref _watchFrom, 0);
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "HA cycle failed: {Reason}")]
    private static partial void LogCycleFailed(ILogger logger, string reason, Exception ex);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "DCS unreachable: {Reason}")]
    private static partial void LogDcsUnreachable(ILogger logger, string reason);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Could not publish this member's status: {Reason}")]
    private static partial void LogTouchFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "{Member}: {Decision}")]
    private static partial void LogDecision(ILogger logger, string member, string decision);
}
