using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Dcs;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

internal sealed partial class HaExecutor
{
    private bool _promotionPending;
    private long? _promotingSince;
    private long _publishedOptime = -1;

    /// <summary>The first member to win <c>initialize</c>: initdb, start, take the key, record the system identifier.</summary>
    private async Task BootstrapAsync(CancellationToken ct)
    {
        if (!await dcs.TryClaimInitializationAsync(ct).ConfigureAwait(false))
            return;
        LogBootstrap(logger, options.Name);
        try
        {
            await postgres.InitDbAsync(ct).ConfigureAwait(false);
            await postgres.StartAsync(ct).ConfigureAwait(false);
            await postgres.CreateRolesAsync(ct).ConfigureAwait(false);
            if (!await dcs.TryAcquireLeaderAsync(ct).ConfigureAwait(false))
                throw new InvalidOperationException("The leader key was taken while this member bootstrapped the cluster.");
            if (!ArmFence())
                throw new InvalidOperationException("The watchdog process could not be armed.");
            var state = await postgres.QueryStateAsync(ct).ConfigureAwait(false);
            await dcs.WriteAsync(dcs.Keys.Config, ConfigJson(), ct).ConfigureAwait(false);
            // The last step: once the system identifier is recorded the cluster exists, and nothing may roll it back.
            await dcs.CompleteInitializationAsync(state.SystemIdentifier, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogBootstrapFailed(logger, ex.Message, ex);
            fence.Disarm();
            await postgres.StopAsync(immediate: true, CancellationToken.None).ConfigureAwait(false);
            if (Directory.Exists(postgres.DataDirectory))
                Directory.Delete(postgres.DataDirectory, recursive: true);
            await dcs.ReleaseLeaderAsync(CancellationToken.None).ConfigureAwait(false);
            await dcs.CancelInitializationAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Keeps the key. A definite loss (the lease or key is gone) demotes at once; DCS errors are retried until the
    /// lease's cutoff, then it demotes (the fence covers a loop too stuck to get there). On a stale state (a slow state
    /// query) the lease is kept but the housekeeping, which needs the server's current position, waits.
    /// </summary>
    private async Task RenewAsync(ClusterView view, ObservedPostgres observed, CancellationToken ct)
    {
        bool renewed;
        try
        {
            // This cycle's member update may have renewed the lease already: move the fence to it, so the fence and the
            // retry cutoff below stand on the same renewal (LeaseClock) and a stall cannot fence a lease still valid.
            // A watchdog that does not acknowledge is a fence that would not fire: step down, even if a new one would start.
            if (dcs.LeaseDeadline != 0 && !ArmFence())
            {
                await StepDownWithoutFenceAsync(ct).ConfigureAwait(false);
                return;
            }

            renewed = await Retry.RunAsync("renew the leader lease", dcs.RenewLeaderAsync, primary: true, ct).ConfigureAwait(false)
                      || await RetakeKeyAsync(view, observed, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (HaLoop.IsDcsFailure(ex, ct))
        {
            await OnDcsUnreachableAsync(observed, ct).ConfigureAwait(false);
            return;
        }

        if (!renewed)
        {
            LogLostKey(logger, options.Name);
            await DemoteAsync(ct).ConfigureAwait(false);
            await postgres.SetNoUpstreamAsync(ct).ConfigureAwait(false);
            await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
            return;
        }

        if (!ArmFence())
        {
            await StepDownWithoutFenceAsync(ct).ConfigureAwait(false);
            return;
        }

        if (!observed.IsStale)
            await AfterRenewAsync(view, observed.State!, ct).ConfigureAwait(false);
    }

    /// <summary>No fence, no leadership (Patroni's <c>watchdog: required</c>): the server goes read-only before the key is given up.</summary>
    private async Task StepDownWithoutFenceAsync(CancellationToken ct)
    {
        await DemoteAsync(ct).ConfigureAwait(false);
        await dcs.ReleaseLeaderAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The leader key vanished (<c>etcdctl del</c>, a restore) while this primary's lease is still valid: nobody else
    /// holds the key, so create it again on the same lease rather than demote a healthy primary (the replicas'
    /// <see cref="PeerCheck"/> sees this primary running and does not race meanwhile). A key another member holds, or a
    /// lost lease, still demotes.
    /// </summary>
    private async Task<bool> RetakeKeyAsync(ClusterView view, ObservedPostgres observed, CancellationToken ct)
    {
        if (dcs.LeaseDeadline == 0 || (view.LeaderTimeline is { } latest && observed.State?.Timeline < latest))
            return false;
        if (!await Bounded.RunAsync(options.RetryTimeout, dcs.TryAcquireLeaderAsync, ct).ConfigureAwait(false))
            return false;
        LogKeyRetaken(logger, options.Name);
        return true;
    }

    /// <summary>The leader's housekeeping: its position for candidates, slots for every member, the synchronous standby, a finished request.</summary>
    private async Task AfterRenewAsync(ClusterView view, PostgresState state, CancellationToken ct)
    {
        if (_promotionPending)
            await FinishPromotionAsync(view, ct).ConfigureAwait(false);
        if (state.WalPosition != _publishedOptime)
        {
            await dcs.WriteLeaderOptimeAsync(state.WalPosition, state.Timeline, ct).ConfigureAwait(false);
            _publishedOptime = state.WalPosition;
        }

        if (view.SynchronousMode != options.SynchronousMode)
            await PublishSynchronousModeAsync(view, ct).ConfigureAwait(false);
        await EnsureSlotsAsync(view, ct).ConfigureAwait(false);
        LastReplication = await postgres.QueryReplicationAsync(ct).ConfigureAwait(false);
        await sync.ManageAsync(view, state, LastReplication, ct).ConfigureAwait(false);
        if (view.FailoverRequest is { } request && (request.Member == options.Name || request.IsExpired(clock.GetUtcNow())))
            await dcs.WriteAsync(dcs.Keys.Failover, null, ct).ConfigureAwait(false);
    }

    /// <summary>Races for the key; the winner promotes (a replica) or simply goes on (a primary that had lost its key).</summary>
    private async Task AcquireAsync(ClusterView view, LocalPostgres local, CancellationToken ct)
    {
        if (!await dcs.TryAcquireLeaderAsync(ct).ConfigureAwait(false))
            return;
        LogAcquired(logger, options.Name);
        if (!ArmFence())
        {
            if (local.Status == LocalPostgresStatus.RunningPrimary)
                await DemoteAsync(ct).ConfigureAwait(false);
            await dcs.ReleaseLeaderAsync(ct).ConfigureAwait(false);
            return;
        }

        if (local.Status == LocalPostgresStatus.RunningReplica)
            await PromoteAsync(view, local, ct).ConfigureAwait(false);
    }

    /// <summary>Promotes this replica (it holds the key) and prepares the cluster to follow it.</summary>
    private async Task PromoteAsync(ClusterView view, LocalPostgres local, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        _promotingSince ??= started;
        if (!ArmFence() || Since(_promotingSince.Value) > options.PrimaryStartTimeout)
        {
            // No fence, or a promotion that does not finish: holding the key would block every other candidate. Stop the
            // server first: a promotion in flight would otherwise finish into a writable primary without the key.
            LogPromotionGaveUp(logger, options.Name);
            (_promotingSince, _promotionPending) = (null, false);
            await DemoteAsync(ct).ConfigureAwait(false);
            await dcs.ReleaseLeaderAsync(ct).ConfigureAwait(false);
            return;
        }

        if (!_promotionPending)
            await sync.BeforePromoteAsync(ct).ConfigureAwait(false);
        _promotionPending = true;
        // Wait no longer than the lease allows: a long replay backlog must not stall renewals into the fence.
        var budget = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), FenceAt(dcs.LeaseDeadline)) - TimeSpan.FromSeconds(1);
        if (!await postgres.PromoteAsync(budget, ct).ConfigureAwait(false))
        {
            LogStillPromoting(logger, options.Name);
            return;
        }

        LogPromoted(logger, options.Name, local.Timeline, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await FinishPromotionAsync(view, ct).ConfigureAwait(false);
    }

    /// <summary>After a promotion (in the same cycle, or the first renewal that sees it done): what the cluster needs from the new leader.</summary>
    private async Task FinishPromotionAsync(ClusterView view, CancellationToken ct)
    {
        (_promotionPending, _promotingSince) = (false, null);
        var promoted = await postgres.QueryStateAsync(ct).ConfigureAwait(false);
        await dcs.WriteLeaderOptimeAsync(promoted.WalPosition, promoted.Timeline, ct).ConfigureAwait(false); // candidates on the old timeline drop out now
        _publishedOptime = promoted.WalPosition;
        _slotsMade.Clear();
        await EnsureSlotsAsync(view, ct).ConfigureAwait(false);
        if (view.FailoverRequest?.Member == options.Name)
            await dcs.WriteAsync(dcs.Keys.Failover, null, ct).ConfigureAwait(false);
        await AppendHistoryAsync(view, ct).ConfigureAwait(false);
        // pg_rewind reads the new timeline from the control file, which only a checkpoint updates: do it now for the
        // old primary's rejoin, in the background so a large checkpoint cannot delay the next lease renewal.
        _ = Task.Run(() => CheckpointAsync(CancellationToken.None), CancellationToken.None);
    }

    /// <summary>The leader's postmaster is down: start it again in place, keeping the key, for at most <c>PrimaryStartTimeout</c>.</summary>
    private async Task RestartInPlaceAsync(LocalPostgres local, CancellationToken ct)
    {
        if (!await dcs.RenewLeaderAsync(ct).ConfigureAwait(false))
        {
            fence.Disarm();
            await postgres.StopAsync(immediate: true, ct).ConfigureAwait(false);
            return;
        }

        if (!ArmFence())
        {
            await dcs.ReleaseLeaderAsync(ct).ConfigureAwait(false);
            return;
        }

        _downSince ??= Stopwatch.GetTimestamp();
        if (Since(_downSince.Value) > options.PrimaryStartTimeout)
        {
            LogRestartGaveUp(logger, options.Name, options.PrimaryStartTimeout.TotalSeconds);
            await postgres.StopAsync(immediate: true, ct).ConfigureAwait(false);
            fence.Disarm();
            await dcs.ReleaseLeaderAsync(ct).ConfigureAwait(false);
            _downSince = null;
            return;
        }

        if (local.Status == LocalPostgresStatus.Stopped)
        {
            LogRestarting(logger, options.Name);
            await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Stops taking writes now: an immediate stop (no checkpoint, no waiting for clients).</summary>
    private async Task DemoteAsync(CancellationToken ct)
    {
        state.StopLeading();
        await postgres.StopAsync(immediate: true, ct).ConfigureAwait(false);
        fence.Disarm();
        _publishedOptime = -1;
    }

    /// <summary>Arms the fence for the current lease; if the watchdog cannot be armed, this member must not lead (Patroni's <c>watchdog: required</c>).</summary>
    private bool ArmFence()
    {
        if (fence.Arm(FenceAt(dcs.LeaseDeadline)))
            return true;
        LogNoFence(logger, options.Name);
        return false;
    }

    [LoggerMessage(EventId = 641, Level = LogLevel.Warning, Message = "{Member}: the leader key was gone while the lease still held: took it again")]
    private static partial void LogKeyRetaken(ILogger logger, string member);

    [LoggerMessage(EventId = 508, Level = LogLevel.Error, Message = "{Member}: cannot complete the promotion (no fence, or not done within PrimaryStartTimeout): giving the leader key up")]
    private static partial void LogPromotionGaveUp(ILogger logger, string member);

    [LoggerMessage(EventId = 519, Level = LogLevel.Error, Message = "{Member}: the watchdog process cannot be armed; this member will not lead without a fence")]
    private static partial void LogNoFence(ILogger logger, string member);

    [LoggerMessage(EventId = 509, Level = LogLevel.Warning, Message = "{Member}: promotion still replaying; renewing the lease and waiting")]
    private static partial void LogStillPromoting(ILogger logger, string member);

    [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "{Member} won the initialize race: bootstrapping the cluster")]
    private static partial void LogBootstrap(ILogger logger, string member);

    [LoggerMessage(EventId = 511, Level = LogLevel.Error, Message = "Bootstrap failed, letting another member try: {Reason}")]
    private static partial void LogBootstrapFailed(ILogger logger, string reason, Exception ex);

    [LoggerMessage(EventId = 512, Level = LogLevel.Warning, Message = "{Member} lost the leader key: demoting now")]
    private static partial void LogLostKey(ILogger logger, string member);

    [LoggerMessage(EventId = 513, Level = LogLevel.Information, Message = "{Member} took the leader key")]
    private static partial void LogAcquired(ILogger logger, string member);

    [LoggerMessage(EventId = 514, Level = LogLevel.Information, Message = "{Member} promoted (was on timeline {Timeline}) in {Milliseconds:0} ms")]
    private static partial void LogPromoted(ILogger logger, string member, int timeline, double milliseconds);

    [LoggerMessage(EventId = 516, Level = LogLevel.Error, Message = "{Member}: PostgreSQL did not come back within {Seconds} s: giving the leader key up")]
    private static partial void LogRestartGaveUp(ILogger logger, string member, double seconds);

    [LoggerMessage(EventId = 517, Level = LogLevel.Warning, Message = "{Member} leads but PostgreSQL is down: starting it in place")]
    private static partial void LogRestarting(ILogger logger, string member);
}
