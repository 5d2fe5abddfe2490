using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>failover_priority 0 means never promoted, as in Patroni: not by the race, not by a switchover.</summary>
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
}
