using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>A missing leader key is not proof that the leader is gone, and a member name is not shared by two live agents.</summary>
public sealed class AgentPeerSafetyTests
{
    [Fact]
    public async Task Deleting_the_leader_key_three_times_under_a_write_load_keeps_one_writable_node_the_same_leader_and_every_write()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        await Writer.CreateTableAsync(leader);
        var history = (await cluster.Dcs.LoadAsync(default)).History;
        var writer = new Writer(cluster);
        var sampler = new WritableSampler(cluster.Nodes);
        await Poll.UntilAsync(() => Task.FromResult(writer.Acknowledged.Count >= 20), cluster, TimeSpan.FromSeconds(60), "20 acknowledged writes");

        for (var i = 0; i < 3; i++)
        {
            await cluster.Dcs.WriteAsync(cluster.Dcs.Keys.Leader, null, default);
            var view = await cluster.WaitForAsync(v => v.Leader is not null, TimeSpan.FromSeconds(30), "the leader key back");
            Assert.True(view.Leader == leader.Name, $"deletion {i + 1}: {view.Leader} took the key from the healthy primary {leader.Name}\n{cluster.Logs()}");
            // Several HA cycles (1 s each): a replica that raced would have promoted by now.
            var acknowledged = writer.Acknowledged.Count;
            await Poll.UntilAsync(() => Task.FromResult(writer.Acknowledged.Count >= acknowledged + 10), cluster, TimeSpan.FromSeconds(60), "writes after the deletion");
            await Task.Delay(3000);
            view = await cluster.Dcs.LoadAsync(default);
            Assert.True(view.Leader == leader.Name, $"deletion {i + 1}: the leader is now {view.Leader ?? "nobody"}, not {leader.Name}\n{cluster.Logs()}");
        }

        await writer.DisposeAsync();
        await sampler.DisposeAsync();

        Assert.True(sampler.Samples.Count > 30, $"only {sampler.Samples.Count} samples");
        var splitBrain = sampler.SplitBrain;
        Assert.True(splitBrain.Count == 0, $"{splitBrain.Count} samples saw two writable nodes: {string.Join(" | ", splitBrain.Select(s => string.Join(",", s.Writable)))}\n{cluster.Logs()}");
        Assert.Equal([leader.Name], sampler.EverWritable);
        Assert.All(writer.Acknowledged, a => Assert.Equal(leader.PgPort, a.Port));
        Assert.Equal(history, (await cluster.Dcs.LoadAsync(default)).History); // no promotion: the timeline history did not grow
        Assert.False(await leader.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Empty(await WriteCheck.MissingAsync(leader, writer));
    }

    [Fact]
    public async Task A_second_agent_under_a_live_members_name_exits_with_code_3_and_the_cluster_is_unaffected()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        var n1 = cluster["n1"];
        var before = (await cluster.Dcs.LoadAsync(default)).Members["n1"];
        var twin = cluster.CreateExtraNode("n1", dataDirectoryName: "n1-twin");
        try
        {
            twin.Start();
            var exitCode = await twin.WaitForExitAsync(TimeSpan.FromSeconds(60));

            Assert.True(exitCode == 3, $"the twin's exit code: {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "still running"}\n{twin.LogTail()}");
            Assert.Contains("Refusing to start: a member named n1 is live", twin.LogTail(), StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(twin.DataDirectory, "PG_VERSION")), "the twin created a server");
            Assert.Null(twin.PostmasterPid());
        }
        finally
        {
            twin.DisposeProcess();
        }

        var after = await cluster.WaitForHealthyAsync();
        Assert.Equal(leader.Name, after.Name);
        var member = (await cluster.Dcs.LoadAsync(default)).Members["n1"];
        Assert.Equal(before.ApiUrl, member.ApiUrl);
        Assert.Equal(before.ConnUrl, member.ConnUrl);
        var (code, body) = await n1.GetAsync("/patroni");
        Assert.Equal(200, code);
        Assert.Equal("n1", body?["patroni"]?["name"]?.GetValue<string>());
    }
}
