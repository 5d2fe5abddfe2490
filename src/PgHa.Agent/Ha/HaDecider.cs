using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;

namespace PgHa.Agent.Ha;

/// <summary>
/// The HA loop's decision as a pure function of the DCS view, the local server and the settings, so every case can
/// be tested as data. The dangerous direction is guarded twice: a primary without the leader key never stays
/// writable, and a replica takes the key only if it is eligible and at least as advanced as every healthy peer.
/// </summary>
internal static class HaDecider
{
    public static HaAction Decide(ClusterView view, LocalPostgres local, AgentOptions options, DateTimeOffset now)
    {
        var action = DecideUnpaused(view, local, options, now);
        if (!view.IsPaused)
            return action;
        // Maintenance mode: keep (or take back) the key of a running primary and follow explicit requests; change nothing else.
        return action.Kind is HaActionKind.RenewLeadership or HaActionKind.StepDown or HaActionKind.None
            || (action.Kind == HaActionKind.AcquireLeadership && local.Status == LocalPostgresStatus.RunningPrimary)
            || (action.Kind == HaActionKind.AcquireLeadership && Request(view, now)?.Member == options.Name)
            ? action
            : new(HaActionKind.None, $"paused: would {action.Kind} ({action.Reason})", action.Leader);
    }

    private static HaAction DecideUnpaused(ClusterView view, LocalPostgres local, AgentOptions options, DateTimeOffset now)
    {
        var me = options.Name;
        var leader = view.Leader;
        var iLead = leader == me;

        switch (local.Status)
        {
            case LocalPostgresStatus.NotInitialized when view.Initialize is null && !FailoverEligibility.CanFailover(options):
                return new(HaActionKind.None, "no cluster yet, and this member never fails over (nofailover): wait for another to initialize it");
            case LocalPostgresStatus.NotInitialized when view.Initialize is null:
                return new(HaActionKind.Bootstrap, "no cluster yet: race to initialize it");
            case LocalPostgresStatus.NotInitialized when iLead:
                return new(HaActionKind.ReleaseLeadership, "holds the leader key but has no data: give it up");
            case LocalPostgresStatus.NotInitialized when leader is not null:
                return new(HaActionKind.CloneFromLeader, $"cluster exists: clone the leader {leader}", leader);
            case LocalPostgresStatus.NotInitialized:
                return new(HaActionKind.None, "cluster being initialized by another member: wait for its leader");

            case LocalPostgresStatus.Unreachable or LocalPostgresStatus.Stopped when iLead:
                return new(HaActionKind.RestartInPlace, "this member leads but its server is down: start it in place");
            case LocalPostgresStatus.Unreachable or LocalPostgresStatus.Stopped when leader is not null:
                return new(HaActionKind.StartAsReplica, $"start as a replica of {leader}", leader);
            case LocalPostgresStatus.Stopped:
                return new(HaActionKind.StartReadOnly, "server down and no leader: start it read-only, then race as a replica");
            case LocalPostgresStatus.Unreachable:
                return new(HaActionKind.None, "server starting and no leader: wait for it");

            case LocalPostgresStatus.RunningPrimary when iLead && Request(view, now) is { } request && request.Member != me
                                                                && (request.Leader is null || request.Leader == me) && request.Member is not null:
                return new(HaActionKind.StepDown, $"switchover requested: hand over to {request.Member}", request.Member);
            case LocalPostgresStatus.RunningPrimary when iLead:
                return new(HaActionKind.RenewLeadership, "leader: renew the lease");
            case LocalPostgresStatus.RunningPrimary when leader is not null:
                return new(HaActionKind.DemoteAndFollow, $"primary without the leader key, which {leader} holds: demote now", leader);
            case LocalPostgresStatus.RunningPrimary when view.LeaderTimeline is { } latest && local.Timeline < latest:
                return new(HaActionKind.DemoteAndFollow, $"primary on timeline {local.Timeline}, but the cluster moved on to {latest}: demote");
            case LocalPostgresStatus.RunningPrimary:
                return new(HaActionKind.AcquireLeadership, "primary and no leader: take the key back");

            case LocalPostgresStatus.RunningReplica when iLead:
                return new(HaActionKind.Promote, "holds the leader key: promote");
            case LocalPostgresStatus.RunningReplica when leader is not null && local.Upstream != leader:
                return new(HaActionKind.Follow, $"follow the leader {leader} (streaming from {local.Upstream ?? "nobody"})", leader);
            case LocalPostgresStatus.RunningReplica when leader is not null:
                return new(HaActionKind.None, $"replica of {leader}", leader);
            default:
                return RaceOrWait(view, local, options, now);
        }
    }

    /// <summary>A pending switchover or failover request whose named candidate is still a member that may be promoted.</summary>
    private static FailoverRequest? Request(ClusterView view, DateTimeOffset now)
        => view.FailoverRequest is { } request && !request.IsExpired(now)
           && (request.Member is null || (view.Members.TryGetValue(request.Member, out var candidate) && FailoverEligibility.CanFailover(candidate))) ? request : null;

    /// <summary>No leader, and this node is a running replica: take part in the race only if no healthier candidate exists.</summary>
    private static HaAction RaceOrWait(ClusterView view, LocalPostgres local, AgentOptions options, DateTimeOffset now)
    {
        if (Request(view, now) is { Member: { } designated } request)
        {
            if (designated != options.Name)
                return new(HaActionKind.None, $"no leader: {designated} was chosen by a switchover or failover request");
            // A switchover waits until this replica has replayed the old leader's shutdown checkpoint; an operator's failover does not.
            if (request.Leader is not null && view.LeaderOptime is { } last && local.WalPosition < last)
                return new(HaActionKind.None, $"chosen by a switchover: waiting to replay up to {last} (at {local.WalPosition})");
            return new(HaActionKind.AcquireLeadership, "chosen by a switchover or failover request: take the key");
        }

        if (!FailoverEligibility.CanFailover(options))
            return new(HaActionKind.None, "no leader, and this member never fails over (nofailover or failover_priority <= 0)");
        if (view.SynchronousMode ?? options.SynchronousMode)
        {
            // The last leader qualifies too (as in Patroni): every commit it acknowledged is in its own WAL. Without
            // it, a leader that demoted itself while no standby was recorded (etcd out of reach) would leave none.
            if (view.Sync?.SyncStandby == options.Name)
                return new(HaActionKind.AcquireLeadership, "no leader, and this member is the synchronous standby: it has every acknowledged commit") { AsksPeersFirst = true };
            if (view.Sync?.Leader == options.Name)
                return new(HaActionKind.AcquireLeadership, "no leader, and this member was the last synchronous-mode leader: it has every acknowledged commit") { AsksPeersFirst = true };
            return new(HaActionKind.None, $"no leader; synchronous mode allows only the synchronous standby ({view.Sync?.SyncStandby ?? "none"}) or the last leader ({view.Sync?.Leader ?? "none"}) to be promoted");
        }

        if (view.LeaderTimeline is { } latest && local.Timeline < latest)
            return new(HaActionKind.None, $"no leader, but this replica is on timeline {local.Timeline} and the last leader was on {latest}: not a candidate");
        if (view.LeaderOptime is { } known && known - local.WalPosition > options.MaximumLagOnFailover)
            return new(HaActionKind.None, $"no leader, but this replica is {known - local.WalPosition} bytes behind the last leader position (> {options.MaximumLagOnFailover}): not a candidate");
        foreach (var (name, peer) in view.Members)
        {
            // Only peers that would race themselves count: one that never fails over must not block us.
            if (name == options.Name || peer.Role != "replica" || peer.State != "running" || !FailoverEligibility.CanFailover(peer))
                continue;
            var theirs = peer.XlogLocation ?? 0;
            if (peer.Timeline < local.Timeline)
                continue; // behind on timelines: never better, whatever its position
            if (peer.Timeline > local.Timeline || theirs > local.WalPosition || (theirs == local.WalPosition && peer.FailoverPriority > options.FailoverPriority)
                || (theirs == local.WalPosition && peer.FailoverPriority == options.FailoverPriority && string.CompareOrdinal(name, options.Name) < 0))
                return new(HaActionKind.None, $"no leader, but {name} is a better candidate (position {theirs} vs {local.WalPosition})");
        }

        return new(HaActionKind.AcquireLeadership, "no leader, and this replica is the most advanced eligible one: race for the key") { AsksPeersFirst = true };
    }
}
