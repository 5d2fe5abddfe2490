using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Fencing;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

/// <summary>
/// Carries out the HA loop's decisions on the local server and the DCS. Long steps (crash recovery, a replica's
/// start) are started, not awaited, so the loop keeps renewing its lease while they run; a leader's lease is
/// backed by the <see cref="Fence"/> in case the loop itself stalls.
/// </summary>
internal sealed partial class HaExecutor(
    AgentOptions options,
    EtcdDcs dcs,
    PostgresController postgres,
    Fence fence,
    SyncStandbys sync,
    PeerCheck peers,
    AgentState state,
    TimeProvider clock,
    ILogger<HaExecutor> logger)
{
    /// <summary>The watchdog fires this long before the lease could expire, so the server is down before any other node can win the key.</summary>
    internal static readonly TimeSpan FenceMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>A replica pointed at the leader that has not streamed for this long is rewound (it may hold WAL the leader never had).</summary>
    internal static readonly TimeSpan NotStreamingLimit = TimeSpan.FromSeconds(10);

    /// <summary>How long the leader keeps the slot of a member that left (its member key expired) before dropping it.</summary>
    internal static readonly TimeSpan SlotGracePeriod = TimeSpan.FromMinutes(30);

    private long? _downSince;
    private long? _replicaSlotsCheckedAt;
    private long? _startedAt;
    private long? _notStreamingSince;

    /// <summary>The primary's walsenders as last seen, for the REST status.</summary>
    public IReadOnlyList<ReplicationPeer> LastReplication { get; private set; } = [];

    public async Task ExecuteAsync(HaAction action, ClusterView view, ObservedPostgres observed, LocalPostgres local, CancellationToken ct)
    {
        if (local.Status is LocalPostgresStatus.RunningPrimary or LocalPostgresStatus.RunningReplica)
            (_downSince, _startedAt) = (null, null);
        if (local.Status != LocalPostgresStatus.RunningReplica || local.IsStreaming || action.Kind != HaActionKind.None)
            _notStreamingSince = null;
        if (local.Status != LocalPostgresStatus.RunningPrimary)
            LastReplication = [];

        switch (action.Kind)
        {
            case HaActionKind.Bootstrap:
                await BootstrapAsync(ct).ConfigureAwait(false);
                break;
            case HaActionKind.CloneFromLeader:
                await CloneAsync(view, action.Leader!, ct).ConfigureAwait(false);
                break;
            case HaActionKind.RenewLeadership:
                await RenewAsync(view, observed, ct).ConfigureAwait(false);
                break;
            case HaActionKind.AcquireLeadership when !action.AsksPeersFirst || await peers.IsHealthiestAsync(view, observed.State, ct).ConfigureAwait(false):
                await AcquireAsync(view, local, ct).ConfigureAwait(false);
                break;
            case HaActionKind.Promote when await dcs.RenewLeaderAsync(ct).ConfigureAwait(false):
                await PromoteAsync(view, local, ct).ConfigureAwait(false);
                break;
            case HaActionKind.DemoteAndFollow when action.Leader is null:
                await DemoteAsync(ct).ConfigureAwait(false);
                await postgres.SetNoUpstreamAsync(ct).ConfigureAwait(false);
                await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
                break;
            case HaActionKind.DemoteAndFollow:
                await DemoteAsync(ct).ConfigureAwait(false);
                await RejoinAsync(view, action.Leader, ct).ConfigureAwait(false);
                break;
            case HaActionKind.StartReadOnly:
                await StartReadOnlyAsync(ct).ConfigureAwait(false);
                break;
            case HaActionKind.ReleaseLeadership:
                fence.Disarm();
                state.StopLeading();
                await dcs.ReleaseLeaderAsync(ct).ConfigureAwait(false);
                break;
            case HaActionKind.StartAsReplica:
                await StartAsReplicaAsync(view, action.Leader!, local, ct).ConfigureAwait(false);
                break;
            case HaActionKind.Follow:
                await FollowAsync(view, action.Leader!, ct).ConfigureAwait(false);
                break;
            case HaActionKind.RestartInPlace:
                await RestartInPlaceAsync(local, ct).ConfigureAwait(false);
                break;
            case HaActionKind.StepDown:
                await StepDownAsync(action.Leader!, ct).ConfigureAwait(false);
                break;
            case HaActionKind.None:
                fence.Disarm();
                await RewindIfNotStreamingAsync(view, action, local, ct).ConfigureAwait(false);
                await DropReplicaSlotsAsync(local, ct).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// No answer from etcd within <c>RetryTimeout</c>. A primary keeps taking writes only while its lease is certainly
    /// still valid; past that it demotes to a read-only standby (reads go on), because another member may by then hold
    /// the key. Failsafe mode (staying up while every member still answers) is deliberately not offered: see README.
    /// </summary>
    public async Task OnDcsUnreachableAsync(ObservedPostgres observed, CancellationToken ct)
    {
        if (observed.Status == LocalPostgresStatus.Stopped)
        {
            // e.g. fenced by the watchdog: come back read-only, so reads go on through the outage
            await postgres.SetNoUpstreamAsync(ct).ConfigureAwait(false);
            await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
            return;
        }

        if (observed.Status != LocalPostgresStatus.RunningPrimary)
            return;
        // Keep writing while the next cycle could still renew before the fence fires; demote on our own terms otherwise.
        var nextChance = Stopwatch.GetTimestamp() + (long)((options.LoopWait + options.RetryTimeout).TotalSeconds * Stopwatch.Frequency);
        if (dcs.LeaseDeadline != 0 && nextChance < FenceAt(dcs.LeaseDeadline))
            return;
        LogDemoteDcsDown(logger, options.Name);
        await DemoteAsync(ct).ConfigureAwait(false);
        await postgres.SetNoUpstreamAsync(ct).ConfigureAwait(false);
        await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A clean stop of the agent: a leader stops its server cleanly, then releases the key so a replica takes over at
    /// once. Whatever fails on the way, the agent never exits leaving a writable primary without its watchdog.
    /// </summary>
    public async Task ShutDownAsync(CancellationToken ct)
    {
        try
        {
            var view = await Bounded.RunAsync(options.RetryTimeout, dcs.LoadAsync, ct).ConfigureAwait(false);
            if (view.Leader == options.Name)
                await StepDownAsync(candidate: null, ct).ConfigureAwait(false);
            await Bounded.RunAsync(options.RetryTimeout, dcs.CloseSessionAsync, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogShutdownIncomplete(logger, ex.Message);
        }

        try
        {
            if ((await Bounded.RunAsync(options.RetryTimeout, postgres.QueryStateAsync, CancellationToken.None).ConfigureAwait(false)).IsPrimary)
            {
                state.StopLeading();
                await postgres.StopAsync(immediate: true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or PostgresCommandException)
        {
            // not running, or not answering: a server that does not answer takes no writes either
        }

        fence.Disarm();
    }

    /// <summary>
    /// A replica needs no slots (no cascading replication), but a former primary keeps its old ones, which would pin
    /// WAL on it forever: drop the inactive ones, once a minute.
    /// </summary>
    private async Task DropReplicaSlotsAsync(LocalPostgres local, CancellationToken ct)
    {
        if (local.Status != LocalPostgresStatus.RunningReplica || (_replicaSlotsCheckedAt is { } at && Since(at) < TimeSpan.FromMinutes(1)))
            return;
        _replicaSlotsCheckedAt = Stopwatch.GetTimestamp();
        foreach (var slot in await postgres.InactiveSlotsAsync(ct).ConfigureAwait(false))
            await postgres.DropInactiveSlotAsync(slot, ct).ConfigureAwait(false);
    }

    private static long FenceAt(long leaseDeadline) => leaseDeadline - (long)(FenceMargin.TotalSeconds * Stopwatch.Frequency);

    private static TimeSpan Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp);

    private (string Host, int Port) AddressOf(ClusterView view, string member)
    {
        var address = view.Members.TryGetValue(member, out var status) ? ObservedPostgres.HostAndPort(status.ConnUrl) : null;
        if (address is null || !AgentOptionsValidator.TryParseAddress(address, out var host, out var port))
            throw new InvalidOperationException($"Member {member} has published no connection address.");
        return (host, port);
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "{Member}: etcd unreachable and the lease may have run out: demoting to a read-only standby")]
    private static partial void LogDemoteDcsDown(ILogger logger, string member);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Shutdown could not hand the cluster over cleanly: {Reason}")]
    private static partial void LogShutdownIncomplete(ILogger logger, string reason);
}
