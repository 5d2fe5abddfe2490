using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Ha;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The HA decision under a switchover or failover request, synchronous mode and pause. The local node is node2.</summary>
public sealed class HaDeciderRequestTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, MemberStatus> Members = new()
    {
        ["node1"] = Member("primary", 100),
        ["node2"] = Member("replica", 100),
        ["node3"] = Member("replica", 100),
    };

    [Fact]
    public void The_leader_steps_down_for_a_switchover_to_another_member()
    {
        var view = View("node2", failover: new FailoverRequest("node2", "node3", Now));
        Assert.Equal(HaActionKind.StepDown, Decide(view, new(LocalPostgresStatus.RunningPrimary, 100, 1)).Kind);
    }

    [Fact]
    public void The_chosen_candidate_takes_the_key_once_it_has_replayed_the_old_leaders_last_position()
    {
        var request = new FailoverRequest("node1", "node2", Now);
        Assert.Equal(HaActionKind.None, Decide(View(null, failover: request, optime: 120), new(LocalPostgresStatus.RunningReplica, 110, 1)).Kind);
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(View(null, failover: request, optime: 120), new(LocalPostgresStatus.RunningReplica, 120, 1)).Kind);
    }

    [Fact]
    public void Other_replicas_leave_the_key_to_the_chosen_candidate()
    {
        var view = View(null, failover: new FailoverRequest("node1", "node3", Now), optime: 100);
        Assert.Equal(HaActionKind.None, Decide(view, new(LocalPostgresStatus.RunningReplica, 200, 1)).Kind);
    }

    [Fact]
    public void An_operators_failover_ignores_the_lag_bound()
    {
        var view = View(null, failover: new FailoverRequest(null, "node2", Now), optime: 50_000_000);
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(view, new(LocalPostgresStatus.RunningReplica, 100, 1)).Kind);
    }

    [Fact]
    public void An_expired_request_or_one_naming_a_departed_member_is_ignored()
    {
        var expired = View(null, failover: new FailoverRequest("node1", "node3", Now - FailoverRequest.Lifetime - TimeSpan.FromSeconds(1)), optime: 100);
        var departed = View(null, failover: new FailoverRequest("node1", "node9", Now), optime: 100);
        // node2 and node3 are equal; node2's lower name wins the ordinary race.
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(expired, new(LocalPostgresStatus.RunningReplica, 100, 1)).Kind);
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(departed, new(LocalPostgresStatus.RunningReplica, 100, 1)).Kind);
    }

    [Fact]
    public void In_synchronous_mode_only_the_synchronous_standby_and_the_last_leader_race()
    {
        var options = Options();
        options.SynchronousMode = true;
        var local = new LocalPostgres(LocalPostgresStatus.RunningReplica, 100, 1);
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(View(null, sync: new SyncState("node1", "node2")), local, options).Kind);
        Assert.Equal(HaActionKind.None, Decide(View(null, sync: new SyncState("node1", "node3")), local, options).Kind);
        Assert.Equal(HaActionKind.None, Decide(View(null, sync: new SyncState("node1", null)), local, options).Kind);
        Assert.Equal(HaActionKind.None, Decide(View(null), local, options).Kind);
        // Found by the fault suite: the leader demoted itself while etcd was paused, between dropping the old standby
        // and recording the new one; with only the standby allowed, nobody could lead again.
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(View(null, sync: new SyncState("node2", null)), local, options).Kind);
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(View(null, sync: new SyncState("node2", "node3")), local, options).Kind);
    }

    [Fact]
    public void Candidates_follow_the_synchronous_mode_the_last_leader_published_not_their_own_setting()
    {
        var local = new LocalPostgres(LocalPostgresStatus.RunningReplica, 100, 1);
        var syncCluster = View(null, sync: new SyncState("node1", "node3"), config: """{"synchronous_mode": true}""");
        Assert.Equal(HaActionKind.None, Decide(syncCluster, local).Kind); // node2 runs with SynchronousMode off, but is not the sync standby

        var options = Options();
        options.SynchronousMode = true;
        var asyncCluster = View(null, optime: 100, config: """{"synchronous_mode": false}""");
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(asyncCluster, local, options).Kind);
    }

    [Fact]
    public void Paused_automation_renews_and_takes_requests_but_promotes_restarts_and_demotes_nothing()
    {
        const string Paused = """{"pause": true}""";
        Assert.Equal(HaActionKind.RenewLeadership, Decide(View("node2", config: Paused), new(LocalPostgresStatus.RunningPrimary, 100, 1)).Kind);
        Assert.Equal(HaActionKind.None, Decide(View(null, config: Paused, optime: 100), new(LocalPostgresStatus.RunningReplica, 100, 1)).Kind);
        Assert.Equal(HaActionKind.None, Decide(View("node2", config: Paused), new(LocalPostgresStatus.Stopped)).Kind);
        Assert.Equal(HaActionKind.None, Decide(View("node1", config: Paused), new(LocalPostgresStatus.RunningPrimary, 100, 1)).Kind);
        var request = new FailoverRequest(null, "node2", Now);
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(View(null, config: Paused, failover: request), new(LocalPostgresStatus.RunningReplica, 100, 1)).Kind);
    }

    [Fact]
    public void A_node_on_an_older_timeline_than_the_last_leader_never_takes_the_key()
    {
        var view = View(null, optime: 100) with { LeaderTimeline = 2 };
        // More advanced by position, but on the timeline the cluster left: its extra WAL is not in the new history.
        Assert.Equal(HaActionKind.None, Decide(view, new(LocalPostgresStatus.RunningReplica, 500, 1)).Kind);
        Assert.Equal(HaActionKind.DemoteAndFollow, Decide(view, new(LocalPostgresStatus.RunningPrimary, 500, 1)).Kind);
        Assert.Equal(HaActionKind.AcquireLeadership, Decide(view, new(LocalPostgresStatus.RunningReplica, 100, 2)).Kind);
    }

    [Fact]
    public void A_peer_on_a_newer_timeline_is_the_better_candidate_whatever_the_positions()
    {
        var members = new Dictionary<string, MemberStatus>(Members) { ["node3"] = Member("replica", 50) with { Timeline = 3 } };
        var view = new ClusterView(1, null, 0, "7301", members, null, null, 100);
        Assert.Equal(HaActionKind.None, Decide(view, new(LocalPostgresStatus.RunningReplica, 100, 2)).Kind);
    }

    private static HaAction Decide(ClusterView view, LocalPostgres local, AgentOptions? options = null)
        => HaDecider.Decide(view, local, options ?? Options(), Now);

    private static ClusterView View(string? leader, FailoverRequest? failover = null, long? optime = null, SyncState? sync = null, string? config = null)
        => new(1, leader, 0, "7301", Members, failover?.ToJson(), config, optime) { Sync = sync };

    private static AgentOptions Options() => new() { Name = "node2", Scope = "test", DataDirectory = "/x", EtcdEndpoints = ["http://127.0.0.1:2379"] };

    private static MemberStatus Member(string role, long position) => new()
    {
        ConnUrl = "postgres://127.0.0.1:5432/postgres",
        ApiUrl = "http://127.0.0.1:8008/patroni",
        Role = role,
        State = "running",
        XlogLocation = position,
    };
}
