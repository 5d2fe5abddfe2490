using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Dcs;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

internal sealed partial class HaExecutor
{
    /// <summary>A new member: clone the leader and start streaming from it.</summary>
    private async Task CloneAsync(ClusterView view, string leader, CancellationToken ct)
    {
        var (host, port) = AddressOf(view, leader);
        LogCloning(logger, options.Name, leader);
        await postgres.StopAsync(immediate: true, ct).ConfigureAwait(false);
        await postgres.CloneAsync(host, port, ct).ConfigureAwait(false);
        await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
        _startedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>No leader: start the stopped server as a standby of nobody (a former primary marked as such), so it can race.</summary>
    private async Task StartReadOnlyAsync(CancellationToken ct)
    {
        var control = await postgres.ReadControlDataAsync(ct).ConfigureAwait(false);
        if (control.WasPrimary)
            await postgres.SetNoUpstreamAsync(ct).ConfigureAwait(false);
        else
            await postgres.ClearUpstreamAsync(ct).ConfigureAwait(false);
        await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
        _startedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>A stopped server (or one still starting) while another member leads.</summary>
    private async Task StartAsReplicaAsync(ClusterView view, string leader, LocalPostgres local, CancellationToken ct)
    {
        if (local.Status == LocalPostgresStatus.Unreachable)
        {
            // Started and still in recovery; give it time, but not forever.
            _startedAt ??= Stopwatch.GetTimestamp();
            if (Since(_startedAt.Value) > options.PrimaryStartTimeout * 3)
            {
                LogStartTimedOut(logger, options.Name);
                await postgres.StopAsync(immediate: true, ct).ConfigureAwait(false);
                _startedAt = null;
            }

            return;
        }

        await RejoinAsync(view, leader, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings this stopped node back under <paramref name="leader"/>: pg_rewind if it was a primary (a no-op when it has
    /// nothing the leader lacks), a fresh clone if that fails, then start streaming.
    /// </summary>
    private async Task RejoinAsync(ClusterView view, string leader, CancellationToken ct)
    {
        var (host, port) = AddressOf(view, leader);
        var control = await postgres.ReadControlDataAsync(ct).ConfigureAwait(false);
        var leaderTimeline = view.Members.TryGetValue(leader, out var status) ? status.Timeline ?? 0 : 0;
        if (control.WasPrimary || leaderTimeline > control.CheckpointTimeline)
        {
            var rewound = await postgres.RewindAsync(host, port, ct).ConfigureAwait(false);
            var output = postgres.LastRewindOutput ?? "";
            if (rewound && output.Contains("same timeline", StringComparison.Ordinal) && leaderTimeline > control.CheckpointTimeline)
            {
                // The new leader has not checkpointed since its promotion, so pg_rewind cannot see the fork yet. Retry next cycle.
                LogRewindWaits(logger, options.Name, leader);
                return;
            }

            if (!rewound)
            {
                LogRewindFailed(logger, options.Name, output.Trim());
                // Re-clone only from a leader that answers as a primary right now; otherwise try again next cycle.
                if (await postgres.IsWritablePrimaryAsync(host, port, ct).ConfigureAwait(false))
                    await CloneAsync(view, leader, ct).ConfigureAwait(false);
                return;
            }

            LogRewound(logger, options.Name, leader);
        }

        await postgres.SetUpstreamAsync(host, port, ct).ConfigureAwait(false);
        await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
        _startedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>A running replica that streams from someone other than the leader: repoint it (a reload, no restart).</summary>
    private async Task FollowAsync(ClusterView view, string leader, CancellationToken ct)
    {
        var (host, port) = AddressOf(view, leader);
        LogFollowing(logger, options.Name, leader);
        await postgres.RepointAsync(host, port, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A replica that follows the leader but cannot stream, while the leader answers as a primary on a newer timeline:
    /// it holds WAL the leader never had. Stop, rewind, start. Never a re-clone from here (a slow or restarting leader
    /// must not cost a replica its data); an operator can ask for one with <c>POST /reinitialize</c>.
    /// </summary>
    private async Task RewindIfNotStreamingAsync(ClusterView view, HaAction action, LocalPostgres local, CancellationToken ct)
    {
        if (local.Status != LocalPostgresStatus.RunningReplica || local.IsStreaming || action.Leader is null || local.Upstream != action.Leader || view.IsPaused)
            return;
        _notStreamingSince ??= Stopwatch.GetTimestamp();
        if (Since(_notStreamingSince.Value) < NotStreamingLimit)
            return;
        _notStreamingSince = null;
        var (host, port) = AddressOf(view, action.Leader);
        var leaderTimeline = view.Members.TryGetValue(action.Leader, out var status) ? status.Timeline ?? 0 : 0;
        // An equal timeline qualifies: a replica that wrote WAL as a leader which the next leader never received has
        // fetched the new timeline's history file (so it reports that timeline) yet cannot replay onto it. pg_rewind
        // reads the real fork point from the control file; on a history that did not diverge it changes nothing.
        if (leaderTimeline < local.Timeline || !await postgres.IsWritablePrimaryAsync(host, port, ct).ConfigureAwait(false))
            return;
        LogNotStreaming(logger, options.Name, action.Leader, NotStreamingLimit.TotalSeconds);
        await postgres.StopAsync(immediate: false, ct).ConfigureAwait(false);
        if (!await postgres.RewindAsync(host, port, ct).ConfigureAwait(false))
            LogRewindFailed(logger, options.Name, (postgres.LastRewindOutput ?? "").Trim());
        await postgres.SetUpstreamAsync(host, port, ct).ConfigureAwait(false);
        await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
    }

    /// <summary>An operator's restart or reinitialise, asked through the REST API.</summary>
    public async Task HandleRequestAsync(OperatorRequestKind kind, TaskCompletionSource<OperatorAnswer> completion, ClusterView view, LocalPostgres local, CancellationToken ct)
    {
        try
        {
            switch (kind)
            {
                case OperatorRequestKind.Restart when local.Status is not (LocalPostgresStatus.RunningPrimary or LocalPostgresStatus.RunningReplica)
                                                      || (local.Status == LocalPostgresStatus.RunningPrimary && view.Leader != options.Name):
                    // A stopped (perhaps fenced) former primary must come back through the HA loop, as a standby, never by request.
                    completion.TrySetResult(OperatorAnswer.Refused("restart conditions are not satisfied: PostgreSQL is not running as a leader or replica; the HA loop starts it"));
                    break;
                case OperatorRequestKind.Restart:
                    state.StopLeading();
                    await postgres.StopAsync(immediate: false, ct).ConfigureAwait(false);
                    await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
                    // Answer once it accepts connections, without holding the loop (a leader must keep renewing meanwhile).
                    _ = Task.Run(() => CompleteWhenReadyAsync(completion), CancellationToken.None);
                    break;
                case OperatorRequestKind.Reinitialize when view.Leader is null:
                    completion.TrySetResult(OperatorAnswer.Refused("Cluster has no leader, can not reinitialize"));
                    break;
                case OperatorRequestKind.Reinitialize when view.Leader == options.Name:
                    completion.TrySetResult(OperatorAnswer.Refused("I am the leader, can not reinitialize"));
                    break;
                case OperatorRequestKind.Reinitialize:
                    fence.Disarm();
                    await postgres.StopAsync(immediate: true, ct).ConfigureAwait(false);
                    await CloneAsync(view, view.Leader, ct).ConfigureAwait(false);
                    completion.TrySetResult(OperatorAnswer.Done("reinitialize started"));
                    break;
            }
        }
        catch (Exception ex)
        {
            completion.TrySetException(ex);
        }
    }

    private async Task CompleteWhenReadyAsync(TaskCompletionSource<OperatorAnswer> completion)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(PostgresController.ToolTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                await postgres.QueryStateAsync(CancellationToken.None).ConfigureAwait(false);
                completion.TrySetResult(OperatorAnswer.Done("restarted successfully"));
                return;
            }
            catch (Npgsql.NpgsqlException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), clock).ConfigureAwait(false);
            }
        }

        completion.TrySetResult(OperatorAnswer.Refused("restart failed: PostgreSQL did not accept connections in time"));
    }

    [LoggerMessage(EventId = 520, Level = LogLevel.Information, Message = "{Member}: cloning the leader {Leader}")]
    private static partial void LogCloning(ILogger logger, string member, string leader);

    [LoggerMessage(EventId = 521, Level = LogLevel.Warning, Message = "{Member}: PostgreSQL did not finish starting in time: stopping it to try again")]
    private static partial void LogStartTimedOut(ILogger logger, string member);

    [LoggerMessage(EventId = 522, Level = LogLevel.Information, Message = "{Member}: waiting for the new leader {Leader} to checkpoint before pg_rewind")]
    private static partial void LogRewindWaits(ILogger logger, string member, string leader);

    [LoggerMessage(EventId = 523, Level = LogLevel.Warning, Message = "{Member}: pg_rewind failed, cloning again: {Output}")]
    private static partial void LogRewindFailed(ILogger logger, string member, string output);

    [LoggerMessage(EventId = 524, Level = LogLevel.Information, Message = "{Member}: rewound onto {Leader}'s timeline")]
    private static partial void LogRewound(ILogger logger, string member, string leader);

    [LoggerMessage(EventId = 525, Level = LogLevel.Information, Message = "{Member}: now following {Leader}")]
    private static partial void LogFollowing(ILogger logger, string member, string leader);

    [LoggerMessage(EventId = 526, Level = LogLevel.Warning, Message = "{Member}: not streaming from {Leader} for {Seconds} s: rewinding")]
    private static partial void LogNotStreaming(ILogger logger, string member, string leader, double seconds);
}
