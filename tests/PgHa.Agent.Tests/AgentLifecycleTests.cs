using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>Three real agents on a real etcd: bootstrap, and what the REST API and ctl say about the result.</summary>
public sealed class AgentLifecycleTests
{
    [Fact]
    public async Task Three_agents_bootstrap_one_primary_and_two_streaming_replicas()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        var view = await cluster.Dcs.LoadAsync(default);
        Assert.False(string.IsNullOrEmpty(view.Initialize));
        Assert.Equal(3, view.Members.Count);

        await leader.ExecuteAsync("CREATE TABLE t(x int); INSERT INTO t VALUES (1)");
        foreach (var replica in cluster.Nodes.Where(n => n != leader))
        {
            await Poll.UntilAsync(async () => await replica.ScalarAsync<long>("SELECT count(*) FROM t") == 1, cluster);
            Assert.True(await replica.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        }

        Assert.Equal(200, (await leader.GetAsync("/primary")).Code);
        foreach (var replica in cluster.Nodes.Where(n => n != leader))
        {
            Assert.Equal(503, (await replica.GetAsync("/primary")).Code);
            Assert.Equal(200, (await replica.GetAsync("/replica")).Code);
            Assert.Equal(200, (await replica.GetAsync("/replica?lag=16MB")).Code);
        }
    }
}
