using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Dcs.Etcd;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

/// <summary>
/// The HA loop: every <c>LoopWait</c>, or at once when the leader, failover, sync or config key changes (a watch, not
/// polling), it observes the local server (<see cref="StateProbe"/>), reads the cluster from etcd, publishes this
/// member, decides (<see cref="HaDecider"/>) and acts (<see cref="HaExecutor"/>). One cycle at a time; DCS calls are
/// retried within <c>RetryTimeout</c>, or by a primary until its lease's cutoff (<see cref="DcsRetry"/>).
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
    private readonly StateProbe _probe = new(options, postgres);
    private DcsRetry? _dcsRetry;
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

    private DcsRetry Retry => _dcsRetry ??= new DcsRetry(options, new LeaseClock(() => dcs.LeaseDeadline, clock), clock, logger);

    private async Task CycleAsync(CancellationToken ct)
    {
        var observed = await _probe.ObserveAsync(ct).ConfigureAwait(false);
        var primary = observed.Status == LocalPostgresStatus.RunningPrimary;
        ClusterView view;
        try
        {
            view = await Retry.RunAsync("read the cluster", dcs.LoadAsync, primary, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsDcsFailure(ex, ct))
        {
            LogDcsUnreachable(logger, ex.Message);
            await executor.OnDcsUnreachableAsync(observed, ct).ConfigureAwait(false);
            observed = await _probe.ObserveAsync(ct).ConfigureAwait(false); // the server may have been demoted just now
            Publish(null, observed, new HaAction(HaActionKind.None, "DCS unreachable: " + ex.Message), dcsSeen: false);
            return;
        }

        _watchFrom = view.Revision + 1;
        var local = observed.ToLocal(view);
        try
        {
            await Retry.OnceAsync(async c => { await dcs.TouchMemberAsync(observed.ToMemberStatus(options), c).ConfigureAwait(false); return 0; }, primary, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsDcsFailure(ex, ct))
        {
            LogTouchFailed(logger, ex.Message);
        }

        if (requests.TryTake(out var kind, out var completion))
            await executor.HandleRequestAsync(kind, completion, view, local, ct).ConfigureAwait(false);

        var action = StateProbe.Gate(HaDecider.Decide(view, local, options, clock.GetUtcNow()), observed);
        var decision = $"{action.Kind}: {action.Reason}";
        if (decision != _lastDecision)
            LogDecision(logger, options.Name, decision);
        _lastDecision = decision;
        await executor.ExecuteAsync(action, view, observed, local, ct).ConfigureAwait(false);
        if (action.Kind is not (HaActionKind.None or HaActionKind.RenewLeadership))
            observed = await _probe.ObserveAsync(ct).ConfigureAwait(false); // publish what the action made of the server, not what it was
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
