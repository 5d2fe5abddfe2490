using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Ha;
using PgHa.Agent.Postgres;
using PgHa.Agent.Rest;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>
/// One rule for who may be promoted (nofailover, or failover_priority ≤ 0, means never, as in Patroni), applied alike by
/// the race, the bootstrap, the synchronous standby's choice and the switchover checks. The local node is node2.
/// </summary>
public sealed class FailoverEligibilityTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(null, null, true)]
    [InlineData(null, 1, true)]
    [InlineData(null, 5, true)]
    [InlineData(null, 0, false)]
    [InlineData(null, -1, false)]
    [InlineData(true, null, false)]
    [InlineData(true, 2, false)]
    [InlineData(false, 1, true)]
    public void A_member_may_fail_over_unless_tagged_nofailover_or_with_priority_at_most_zero(bool? noFailover, int? priority, bool expected)
    {
        var tags = new Dictionary<string, object>();
        if (noFailover is { } nf)
            tags["nofailover"] = nf;
        if (priority is { } p)
            tags["failover_priority"] = p;
        Assert.Equal(expected, FailoverEligibility.CanFailover(Member("replica", 100) with { Tags = tags }));

        var options = Options();
        options.NoFailover = noFailover ?? false;
        options.FailoverPriority = priority ?? 1;
        Assert.Equal(expected, FailoverEligibility.CanFailover(options));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_replica_with_priority_at_most_zero_never_races(int priority)
    {
        var options = Options();
        options.FailoverPriority = priority;
        Assert.DoesNotContain(AgentOptionsValidator.Validate(options), e => e.Contains("FailoverPriority", StringComparison.Ordinal));
        var view = new ClusterView(1, null, 0, "7301", new Dictionary<string, MemberStatus>(), null, null, 100);

        var action = HaDecider.Decide(view, new(LocalPostgresStatus.RunningReplica, 100, 1), options, Now);

        Assert.Equal(HaActionKind.None, action.Kind);
    }

    [Fact]
    public void A_more_advanced_peer_with_negative_priority_is_no_competition()
    {
        var members = new Dictionary<string, MemberStatus> { ["node3"] = Member("replica", 200, priority: -1) };
        var view = new ClusterView(1, null, 0, "7301", members, null, null, 100);

        Assert.Equal(HaActionKind.AcquireLeadership, HaDecider.Decide(view, new(LocalPostgresStatus.RunningReplica, 100, 1), Options(), Now).Kind);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public void A_member_that_never_fails_over_never_bootstraps_the_cluster(bool noFailover, int priority)
    {
        var options = Options();
        (options.NoFailover, options.FailoverPriority) = (noFailover, priority);
        var view = new ClusterView(1, null, 0, null, new Dictionary<string, MemberStatus>(), null, null);

        Assert.Equal(HaActionKind.None, HaDecider.Decide(view, new(LocalPostgresStatus.NotInitialized), options, Now).Kind);
        Assert.Equal(HaActionKind.Bootstrap, HaDecider.Decide(view, new(LocalPostgresStatus.NotInitialized), Options(), Now).Kind);
    }

    [Fact]
    public void A_request_naming_a_member_that_never_fails_over_is_ignored_by_the_leader_and_by_that_member()
    {
        var members = new Dictionary<string, MemberStatus>
        {
            ["node1"] = Member("replica", 100),
            ["node2"] = Member("primary", 100),
            ["node3"] = Member("replica", 100, priority: 0),
        };
        var request = new FailoverRequest("node2", "node3", Now).ToJson();
        var leaderView = new ClusterView(1, "node2", 0, "7301", members, request, null, 100);
        Assert.Equal(HaActionKind.RenewLeadership, HaDecider.Decide(leaderView, new(LocalPostgresStatus.RunningPrimary, 100, 1), Options(), Now).Kind);

        var candidate = Options();
        (candidate.Name, candidate.FailoverPriority) = ("node3", 0);
        var noLeader = new ClusterView(1, null, 0, "7301", members, request, null, 100);
        Assert.Equal(HaActionKind.None, HaDecider.Decide(noLeader, new(LocalPostgresStatus.RunningReplica, 100, 1), candidate, Now).Kind);
    }

    [Theory]
    [InlineData(false, "nofailover")]
    [InlineData(true, "nofailover")]
    public void A_switchover_or_failover_to_a_member_that_never_fails_over_is_refused_with_412(bool failover, string expected)
    {
        var view = SwitchView(new() { ["failover_priority"] = 0 });

        var (error, _) = SwitchoverRules.Check(view, Options("n1"), new SwitchBody { Leader = failover ? null : "n1", Candidate = "n3" }, failover);

        Assert.NotNull(error);
        Assert.Equal(412, error.Value.Code);
        Assert.Contains(expected, error.Value.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_switchover_without_a_candidate_skips_members_that_never_fail_over()
    {
        var view = SwitchView(new() { ["failover_priority"] = -1 });

        var (error, candidate) = SwitchoverRules.Check(view, Options("n1"), new SwitchBody { Leader = "n1" }, failover: false);

        Assert.Null(error);
        Assert.Equal("n2", candidate);
    }

    [Theory]
    [InlineData("nofailover", true)]
    [InlineData("failover_priority", 0)]
    [InlineData("failover_priority", -2)]
    public void The_synchronous_standby_is_chosen_among_members_that_may_be_promoted(string tag, object value)
    {
        var members = new Dictionary<string, MemberStatus>
        {
            ["node1"] = Member("primary", 100),
            ["node2"] = Member("replica", 100) with { Tags = new Dictionary<string, object> { [tag] = value } },
            ["node3"] = Member("replica", 90),
        };
        var view = new ClusterView(1, "node1", 0, "7301", members, null, null) { Sync = new SyncState("node1", "node2") };
        ReplicationPeer[] peers = [Peer("node2"), Peer("node3")];

        Assert.Equal("node3", SyncStandbys.Choose(view, "node1", peers));
        Assert.Null(SyncStandbys.Choose(view, "node1", [Peer("node2")]));
    }

    [Fact]
    public void A_streaming_synchronous_standby_that_may_be_promoted_is_kept()
    {
        var members = new Dictionary<string, MemberStatus> { ["node1"] = Member("primary", 100), ["node2"] = Member("replica", 100), ["node3"] = Member("replica", 100) };
        var view = new ClusterView(1, "node1", 0, "7301", members, null, null) { Sync = new SyncState("node1", "node3") };

        Assert.Equal("node3", SyncStandbys.Choose(view, "node1", [Peer("node2"), Peer("node3")]));
    }

    private static ClusterView SwitchView(Dictionary<string, object> n3Tags) => new(1, "n1", 0, "7301", new Dictionary<string, MemberStatus>
    {
        ["n1"] = Member("primary", 100),
        ["n2"] = Member("replica", 90),
        ["n3"] = Member("replica", 100) with { Tags = n3Tags },
    }, null, null, 100);

    private static ReplicationPeer Peer(string member) => new(PostgresController.SlotNameFor(member), "streaming", "async", 100, "postgres", "127.0.0.1");

    private static AgentOptions Options(string name = "node2") => new() { Name = name, Scope = "test", DataDirectory = "/x", EtcdEndpoints = ["http://127.0.0.1:2379"] };

    private static MemberStatus Member(string role, long position, int? priority = null) => new()
    {
        ConnUrl = "postgres://127.0.0.1:5432/postgres",
        ApiUrl = "http://127.0.0.1:8008/patroni",
        Role = role,
        State = "running",
        XlogLocation = position,
        Tags = priority is { } p ? new Dictionary<string, object> { ["failover_priority"] = p } : null,
    };
}
