using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>What the leader does when its only synchronous standby is lost: degrade to asynchronous, or (strict) make commits wait.</summary>
public sealed class AgentSynchronousModeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Losing_the_only_standby_degrades_to_asynchronous_unless_strict(bool strict)
    {
        var settings = new Dictionary<string, string> { ["SynchronousMode"] = "true", ["SynchronousModeStrict"] = strict ? "true" : "false" };
        await using var cluster = await AgentCluster.StartAsync(nodes: 2, settings: settings);
        var leader = await cluster.WaitForHealthyAsync();
        var standby = cluster.Nodes.Single(n => n != leader);
        await cluster.WaitForAsync(v => v.Sync?.SyncStandby == standby.Name, TimeSpan.FromSeconds(15), "the synchronous standby");
        await leader.ExecuteAsync("CREATE TABLE t(x int)");

        standby.KillNode();
        await cluster.WaitForAsync(v => v.Sync?.SyncStandby is null, TimeSpan.FromSeconds(15), "the sync key to stop naming the lost standby");
        var insert = leader.ExecuteAsync("INSERT INTO t VALUES (1)");
        if (!strict)
        {
            await insert.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("", await leader.ScalarAsync<string>("SHOW synchronous_standby_names"));
            return;
        }

        Assert.Equal("*", await leader.ScalarAsync<string>("SHOW synchronous_standby_names"));
        await Task.Delay(3000);
        Assert.False(insert.IsCompleted, "strict mode acknowledged a commit with no standby");

        standby.Start(); // the commit goes through once a standby is back
        await insert.WaitAsync(TimeSpan.FromSeconds(60));
        await cluster.WaitForAsync(v => v.Sync?.SyncStandby == standby.Name, TimeSpan.FromSeconds(30), "the standby named again");
    }
}
