using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>failover_priority 0 means never promoted, as in Patroni: not by the race, not by a switchover, not as the synchronous standby.</summary>
public sealed class AgentFailoverEligibilityTests
{
    private static readonly Dictionary<string, string> NeverFailsOver = new() { ["FailoverPriority"] = "0" };

    [Fact]
    public async Task A_member_with_failover_priority_0_is_refused_as_switchover_candidate_and_not_promoted_when_the_leader_is_lost()
    {
        await using var cluster = await AgentCluster.StartAsync(nodeSettings: name => name == "n3" ? NeverFailsOver : null);
        var leader = await cluster.WaitForHealthyAsync();
        Assert.NotEqual("n3", leader.Name); // it never bootstraps either
        var other = cluster.Nodes.Single(n => n != leader && n.Name != "n3");

        var (code, text) = await leader.PostAsync("/switchover", new { leader = leader.Name, candidate = "n3" }, AgentCluster.Token);
        Assert.True(code == 412, $"{code}: {text}");
        Assert.Contains("never fails over", text, StringComparison.Ordinal);

        leader.KillNode();
        var view = await cluster.WaitForAsync(v => v.Leader is { } l && l != leader.Name && v.Members[l].Role == "primary", TimeSpan.FromSeconds(30), "a new leader");
        Assert.Equal(other.Name, view.Leader);
        Assert.True(await cluster["n3"].ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
    }

    [Fact]
    public async Task In_synchronous_mode_the_sync_standby_is_the_replica_that_may_be_promoted_and_the_failover_to_it_succeeds()
    {
        var settings = new Dictionary<string, string> { ["SynchronousMode"] = "true" };
        // n1 never fails over; it sorts first by name, so it would be the synchronous standby if eligibility were ignored.
        await using var cluster = await AgentCluster.StartAsync(settings: settings, startAgents: false, nodeSettings: name => name == "n1" ? NeverFailsOver : null);
        var n1 = cluster["n1"];
        var n2 = cluster["n2"];
        var n3 = cluster["n3"];
        n2.Start();
        await cluster.WaitForHealthyAsync(expectedReplicas: [n2]);
        n1.Start();
        n3.Start();
        await cluster.WaitForHealthyAsync(expectedReplicas: cluster.Nodes);
        await cluster.WaitForAsync(v => v.Sync?.Leader == "n2" && v.Sync.SyncStandby is not null, TimeSpan.FromSeconds(30), "a synchronous standby");
        Assert.Equal("n3", (await cluster.Dcs.LoadAsync(default)).Sync?.SyncStandby);
        await n2.ExecuteAsync("CREATE TABLE t AS SELECT 42 AS x");

        n2.KillNode();
        var view = await cluster.WaitForAsync(v => v.Leader is { } l && l != "n2" && v.Members[l].Role == "primary", TimeSpan.FromSeconds(30), "a new leader");
        Assert.Equal("n3", view.Leader);
        Assert.Equal(42, await n3.ScalarAsync<int>("SELECT x FROM t"));
        Assert.True(await n1.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
    }
}
