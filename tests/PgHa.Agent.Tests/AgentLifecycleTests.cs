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

        var (code, members) = await leader.GetAsync("/cluster");
        Assert.Equal(200, code);
        Assert.Equal(3, members!["members"]!.AsArray().Count);
        var (_, metrics) = await leader.GetAsync("/metrics");
        Assert.Contains("patroni_primary{scope=\"test\",name=\"" + leader.Name + "\"} 1", metrics!.ToString());
        Assert.Equal(200, (await leader.GetAsync("/liveness")).Code);
        Assert.Equal(200, (await leader.GetAsync("/config")).Code);
        Assert.Equal(200, (await leader.GetAsync("/history")).Code);
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(200, (await node.GetAsync("/health")).Code);
            Assert.Equal(200, (await node.GetAsync("/read-only")).Code);
            Assert.Equal(200, (await node.GetAsync("/readiness")).Code);
            var (_, status) = await node.GetAsync("/patroni");
            Assert.Equal(node == leader ? "primary" : "replica", (string?)status!["role"]);
            Assert.Equal("running", (string?)status["state"]);
        }
    }

    [Fact]
    public async Task A_replica_is_restarted_and_reinitialized_on_request()
    {
        await using var cluster = await AgentCluster.StartAsync(nodes: 2);
        var leader = await cluster.WaitForHealthyAsync();
        var replica = cluster.Nodes.Single(n => n != leader);
        var started = await replica.ScalarAsync<DateTime>("SELECT pg_postmaster_start_time()");

        var (code, text) = await replica.PostAsync("/restart", null, AgentCluster.Token);
        Assert.True(code == 200 && text == "restarted successfully", $"{code} {text}");
        Assert.True(await replica.ScalarAsync<DateTime>("SELECT pg_postmaster_start_time()") > started);
        Assert.Equal(503, (await leader.PostAsync("/reinitialize", null, AgentCluster.Token)).Code); // never the leader

        (code, text) = await replica.PostAsync("/reinitialize", null, AgentCluster.Token);
        Assert.True(code == 200, $"{code} {text}");
        await leader.ExecuteAsync("CREATE TABLE after_reinit(x int)");
        await cluster.WaitForHealthyAsync();
        await Poll.UntilAsync(async () => await replica.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'after_reinit'") == 1, cluster, what: "the re-cloned replica streaming");
        Assert.Contains("cloning the leader", replica.LogTail(30));
    }
}
