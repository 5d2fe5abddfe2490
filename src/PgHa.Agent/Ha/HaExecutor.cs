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
    /// <summary>The watchdog fires this long before the lease could expire (<see cref="LeaseClock.FenceMargin"/>).</summary>
    internal static readonly TimeSpan FenceMargin = LeaseClock.FenceMargin;

    /// <summary>A replica pointed at the leader that has not streamed for this long is rewound (it may hold WAL the leader never had).</summary>
    internal static readonly TimeSpan NotStreamingLimit = TimeSpan.FromSeconds(10);

    /// <summary>How long the leader keeps the slot of a member that left (its member key expired) before dropping it.</summary>
    internal static readonly TimeSpan SlotGracePeriod = TimeSpan.FromMinutes(30);

    private long? _downSince;
    private long? _replicaSlotsCheckedAt;
    private long? _startedAt;
    private long? _notStreamingSince;
    private LeaseClock? _leaseClock;
    private DcsRetry? _dcsRetry;

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
                if (observed.IsStale)
                    break; // both act on the replica's state: wait for a fresh one
                await RewindIfNotStreamingAsync(view, action, local, ct).ConfigureAwait(false);
                await DropReplicaSlotsAsync(local, ct).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// A clean stop of the agent: a leader stops its server cleanly, then releases the key so a replica takes over at
    /// once. Whatever fails on the way, the agent never exits leaving a writable primary without its watchdog.
    /// </summary>
    public async Task ShutDownAsync(CancellationToken ct)
    {
        if (await LeaveRunningIfPausedAsync(ct).ConfigureAwait(false))
            return;
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

    /// <summary>The lease's timeline (fence, retry cutoff), on the lease deadline the DCS keeps.</summary>
    private LeaseClock Lease => _leaseClock ??= new LeaseClock(() => dcs.LeaseDeadline, clock);

    /// <summary>Leader-critical DCS calls, retried until the lease's cutoff.</summary>
    private DcsRetry Retry => _dcsRetry ??= new DcsRetry(options, Lease, clock, logger);

    private long FenceAt(long leaseDeadline) => Lease.FenceAt(leaseDeadline);

    private static TimeSpan Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp);

    private (string Host, int Port) AddressOf(ClusterView view, string member)
    {
        var address = view.Members.TryGetValue(member, out var status) ? ObservedPostgres.HostAndPort(status.ConnUrl) : null;
        if (address is null || !AgentOptionsValidator.TryParseAddress(address, out var host, out var port))
            throw new InvalidOperationException($"Member {member} has published no connection address.");
        return (host, port);
    }

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Shutdown could not hand the cluster over cleanly: {Reason}")]
    private static partial void LogShutdownIncomplete(ILogger logger, string reason);
}
