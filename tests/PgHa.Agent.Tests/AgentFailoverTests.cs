using System.Diagnostics;
using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>Failover with three real agents at default settings: planned switchover, node loss and rejoin, postmaster crash.</summary>
public sealed class AgentFailoverTests
{
    [Fact]
    public async Task A_switchover_under_write_load_moves_the_leader_and_loses_no_acknowledged_write()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        var candidate = cluster.Nodes.First(n => n != leader);
        await Writer.CreateTableAsync(leader);

        Assert.Equal(401, (await leader.PostAsync("/switchover", new { leader = leader.Name, candidate = candidate.Name })).Code);
        Assert.Equal(412, (await leader.PostAsync("/switchover", new { leader = candidate.Name, candidate = leader.Name }, AgentCluster.Token)).Code);
        Assert.Equal(400, (await leader.PostAsync("/failover", new { leader = (string?)null }, AgentCluster.Token)).Code);

        var writer = new Writer(cluster);
        await Task.Delay(1000);
        var (code, text) = await leader.PostAsync("/switchover", new { leader = leader.Name, candidate = candidate.Name }, AgentCluster.Token);
        Assert.True(code == 200, $"{code} {text}\n{cluster.Logs()}");
        Assert.Contains($"Successfully switched over to \"{candidate.Name}\"", text);
        await cluster.WaitForHealthyAsync(); // the old leader streams from the new one
        await Poll.UntilAsync(async () => writer.Acknowledged.Any(a => a.Port == candidate.PgPort), cluster, what: "a write on the new leader");
        await writer.DisposeAsync();

        var view = await cluster.Dcs.LoadAsync(default);
        Assert.Equal(candidate.Name, view.Leader);
        Assert.Equal(2, view.Members[candidate.Name].Timeline);
        Assert.Empty(await WriteCheck.MissingAsync(candidate, writer));
        Assert.True(await leader.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Equal(200, (await candidate.GetAsync("/primary")).Code);
        Assert.Equal(503, (await leader.GetAsync("/primary")).Code);
        var history = await cluster.CtlAsync("history");
        Assert.True(history.ExitCode == 0 && history.Output.Contains(candidate.Name, StringComparison.Ordinal), history.Output);

        // And back, through ctl (which posts to the leader's API with the configured token).
        var back = await cluster.CtlAsync("switchover", "--candidate", leader.Name);
        Assert.True(back.ExitCode == 0 && back.Output.Contains($"Successfully switched over to \"{leader.Name}\"", StringComparison.Ordinal), back.Output + cluster.Logs());
        Assert.Equal(leader.Name, (await cluster.Dcs.LoadAsync(default)).Leader);
    }

    [Fact]
    public async Task Node_loss_promotes_a_replica_and_the_old_primary_rejoins_with_pg_rewind()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var old = await cluster.WaitForHealthyAsync();
        await Writer.CreateTableAsync(old);
        var writer = new Writer(cluster);
        await Task.Delay(1000);

        var killedAt = Stopwatch.GetTimestamp();
        old.KillNode();
        var view = await cluster.WaitForAsync(v => v.Leader is { } l && l != old.Name && v.Members[l].Role == "primary", TimeSpan.FromSeconds(30), "a new leader");
        var promotedIn = Stopwatch.GetElapsedTime(killedAt);
        var leader = cluster[view.Leader!];
        await Poll.UntilAsync(async () => writer.Acknowledged.Any(a => a.Port == leader.PgPort), cluster, what: "a write on the new leader");
        await writer.DisposeAsync();
        Assert.True(promotedIn < TimeSpan.FromSeconds(15), $"promotion took {promotedIn}");

        old.Start();
        await cluster.WaitForHealthyAsync(expectedReplicas: cluster.Nodes);
        Assert.True(await old.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Contains("rewound onto", old.LogTail(200));
        await leader.ExecuteAsync("INSERT INTO writes(id) VALUES (-1)");
        await Poll.UntilAsync(async () => await old.ScalarAsync<long>("SELECT count(*) FROM writes WHERE id = -1") == 1, cluster, what: "the rejoined node replaying the new leader's write");

        // A second loss, now on timeline 2: the replicas, whose receivers die with it, still know they are on timeline 2.
        leader.KillNode();
        view = await cluster.WaitForAsync(v => v.Leader is { } l && l != leader.Name && v.Members[l].Role == "primary", TimeSpan.FromSeconds(30), "a leader after the second loss");
        Assert.Equal(3, view.Members[view.Leader!].Timeline);
    }

    [Fact]
    public async Task After_every_node_is_lost_at_once_the_cluster_comes_back_with_its_data()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        await Writer.CreateTableAsync(leader);
        await leader.ExecuteAsync("INSERT INTO writes(id) VALUES (42)");
        foreach (var replica in cluster.Nodes.Where(n => n != leader))
            await Poll.UntilAsync(async () => await replica.ScalarAsync<long>("SELECT count(*) FROM writes") == 1, cluster, what: "the row on every replica");

        foreach (var node in cluster.Nodes)
            node.KillNode(); // a power loss
        await cluster.WaitForAsync(v => v.Leader is null, TimeSpan.FromSeconds(10), "the leader key to expire");
        foreach (var node in cluster.Nodes)
            node.Start();

        var back = await cluster.WaitForHealthyAsync(expectedReplicas: cluster.Nodes);
        Assert.Equal(1L, await back.ScalarAsync<long>("SELECT count(*) FROM writes WHERE id = 42"));
        await back.ExecuteAsync("INSERT INTO writes(id) VALUES (43)");
    }

    [Fact]
    public async Task A_crashed_postmaster_on_the_leader_is_restarted_in_place_without_a_failover()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        await Writer.CreateTableAsync(leader);

        leader.KillPostmaster();
        await Poll.UntilAsync(async () => !await leader.ScalarAsync<bool>("SELECT pg_is_in_recovery()"), cluster, TimeSpan.FromSeconds(20), "the leader's server back");
        await leader.ExecuteAsync("INSERT INTO writes(id) VALUES (1)");
        var view = await cluster.Dcs.LoadAsync(default);
        Assert.Equal(leader.Name, view.Leader);
        Assert.Equal(1, await leader.ScalarAsync<int>("SELECT timeline_id FROM pg_control_checkpoint()"));
        Assert.Contains("starting it in place", leader.LogTail(200));
    }
}
