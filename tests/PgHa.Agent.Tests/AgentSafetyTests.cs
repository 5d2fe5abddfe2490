using System.Diagnostics;
using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The dangerous cases: a frozen leader, etcd gone, a lagging replica, synchronous mode across a node loss, and pause.</summary>
public sealed class AgentSafetyTests
{
    [Fact]
    public async Task A_frozen_leader_agent_is_fenced_before_its_lease_expires_and_a_replica_takes_over()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var old = await cluster.WaitForHealthyAsync();
        await Writer.CreateTableAsync(old);
        var writer = new Writer(cluster, onlyPort: old.PgPort); // straight at the old primary, whatever happens
        await Task.Delay(1000);

        old.FreezeAgent();
        long keyGoneAt = 0;
        await cluster.WaitForAsync(v =>
        {
            if (v.Leader != old.Name && keyGoneAt == 0)
                keyGoneAt = Stopwatch.GetTimestamp();
            return v.Leader is { } l && l != old.Name && v.Members.TryGetValue(l, out var m) && m.Role == "primary";
        }, TimeSpan.FromSeconds(30), "a new leader");
        await writer.DisposeAsync();

        var lastWrite = writer.Acknowledged.Max(a => a.At);
        Assert.True(lastWrite < keyGoneAt, $"the frozen leader's server took a write {Stopwatch.GetElapsedTime(keyGoneAt, lastWrite).TotalMilliseconds:0} ms after its key expired\n{cluster.Logs()}");
        Assert.Null(old.PostmasterPid()); // fenced by the watchdog

        old.ThawAgent();
        await cluster.WaitForHealthyAsync(expectedReplicas: cluster.Nodes);
        Assert.True(await old.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
    }

    [Fact]
    public async Task With_etcd_stopped_the_primary_stops_taking_writes_and_one_leader_returns_with_etcd()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        await cluster.Etcd.Members[0].StopAsync();
        var stoppedAt = Stopwatch.GetTimestamp();

        await Poll.UntilAsync(async () => await WritableNodesAsync(cluster) == 0, cluster, TimeSpan.FromSeconds(10), "the primary to stop taking writes");
        Assert.True(Stopwatch.GetElapsedTime(stoppedAt) < TimeSpan.FromSeconds(4.5), $"writes went on for {Stopwatch.GetElapsedTime(stoppedAt)}, longer than the 4 s lease");
        Assert.Equal(503, (await leader.GetAsync("/primary")).Code);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(0, await WritableNodesAsync(cluster));
            await Task.Delay(300);
        }

        // It serves reads again as a standby: demoted at its lease's cutoff, or fenced mid-demotion and started read-only.
        await Poll.UntilAsync(() => leader.ScalarAsync<bool>("SELECT pg_is_in_recovery()"), cluster, TimeSpan.FromSeconds(15), "the old primary to serve reads as a standby");

        await cluster.Etcd.Members[0].StartAsync();
        // etcd extends leases across its own restart, so the old keys may still stand: wait for the servers, not the keys.
        await Poll.UntilAsync(async () => await WritableNodesAsync(cluster) == 1, cluster, TimeSpan.FromSeconds(30), "one writable node again");
        await cluster.WaitForHealthyAsync();
        Assert.Equal(1, await WritableNodesAsync(cluster));
    }

    [Fact]
    public async Task A_lagging_replica_is_never_promoted_but_an_operator_can_fail_over_to_it()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        var laggard = cluster.Nodes.First(n => n != leader);
        var other = cluster.Nodes.Single(n => n != leader && n != laggard);
        await laggard.ExecuteAsync("SELECT pg_wal_replay_pause()");
        await leader.ExecuteAsync("CREATE TABLE big AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 40000) g"); // ~10 MB of WAL
        await cluster.WaitForAsync(v => v.LeaderOptime - v.Members[laggard.Name].XlogLocation > 2 << 20, TimeSpan.FromSeconds(10), "the laggard to be published as lagging");

        other.KillNode();
        leader.KillNode();
        for (var i = 0; i < 30; i++) // 9 s: more than two lease lifetimes
        {
            var view = await cluster.Dcs.LoadAsync(default);
            Assert.True(view.Leader is null || view.Leader == leader.Name, $"{view.Leader} took the key\n{cluster.Logs()}");
            await Task.Delay(300);
        }

        Assert.True(await laggard.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Contains("not a candidate", laggard.LogTail(100));

        var (exitCode, output) = await cluster.CtlAsync("failover", "--candidate", laggard.Name);
        Assert.True(exitCode == 0, output + cluster.Logs());
        await Poll.UntilAsync(async () => !await laggard.ScalarAsync<bool>("SELECT pg_is_in_recovery()"), cluster, what: "the operator's failover");
        Assert.Equal(40000L, await laggard.ScalarAsync<long>("SELECT count(*) FROM big")); // promotion replayed everything received
    }

    [Fact]
    public async Task In_synchronous_mode_no_acknowledged_write_is_lost_when_the_leader_node_is_lost()
    {
        await using var cluster = await AgentCluster.StartAsync(settings: new Dictionary<string, string> { ["SynchronousMode"] = "true" });
        var old = await cluster.WaitForHealthyAsync();
        var view = await cluster.WaitForAsync(v => v.Sync?.SyncStandby is not null && v.Sync.Leader == old.Name, TimeSpan.FromSeconds(15), "a synchronous standby");
        var standby = view.Sync!.SyncStandby!;
        Assert.Equal($"\"{standby}\"", await old.ScalarAsync<string>("SHOW synchronous_standby_names"));
        Assert.Equal(200, (await cluster[standby].GetAsync("/sync")).Code);
        await Writer.CreateTableAsync(old);
        var writer = new Writer(cluster);
        // Enough acknowledged writes for the check to mean something, however slowly a loaded machine writes.
        await Poll.UntilAsync(() => Task.FromResult(writer.Acknowledged.Count(a => a.Port == old.PgPort) >= 20), cluster, TimeSpan.FromSeconds(60), "20 writes acknowledged by the old leader");

        old.KillNode();
        view = await cluster.WaitForAsync(v => v.Leader is { } l && l != old.Name && v.Members[l].Role == "primary", TimeSpan.FromSeconds(30), "a new leader");
        Assert.Equal(standby, view.Leader);
        var leader = cluster[standby];
        await Poll.UntilAsync(async () => writer.Acknowledged.Any(a => a.Port == leader.PgPort), cluster, what: "a write on the new leader");
        await writer.DisposeAsync();

        Assert.Empty(await WriteCheck.MissingAsync(leader, writer));
        await cluster.WaitForAsync(v => v.Sync?.Leader == standby && v.Sync.SyncStandby is not null, TimeSpan.FromSeconds(15), "the new leader's synchronous standby");
    }

    [Fact]
    public async Task Paused_automation_does_not_fail_over_and_resumes_on_request()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var old = await cluster.WaitForHealthyAsync();
        var (exitCode, output) = await cluster.CtlAsync("pause");
        Assert.True(exitCode == 0, output);
        var list = await cluster.CtlAsync("list");
        Assert.Contains("[paused]", list.Output);
        Assert.Contains("| Leader", list.Output);
        foreach (var node in cluster.Nodes)
            Assert.Contains($"| {node.Name} ", list.Output);

        old.KillNode();
        await cluster.WaitForAsync(v => v.Leader is null, TimeSpan.FromSeconds(10), "the leader key to expire");
        await Task.Delay(3000);
        Assert.Null((await cluster.Dcs.LoadAsync(default)).Leader);
        Assert.Equal(0, await WritableNodesAsync(cluster));

        Assert.Equal(0, (await cluster.CtlAsync("resume")).ExitCode);
        await cluster.WaitForAsync(v => v.Leader is { } l && l != old.Name && v.Members[l].Role == "primary", TimeSpan.FromSeconds(15), "a new leader after resume");
    }

    [Fact]
    public async Task Stopping_a_paused_leader_agent_leaves_its_primary_running_and_writable()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        await Writer.CreateTableAsync(leader);
        var postmaster = leader.PostmasterPid();
        Assert.Equal(0, (await cluster.CtlAsync("pause")).ExitCode);

        await leader.StopAsync();
        Assert.Equal(0, leader.ExitCode);
        // Longer than the 4 s lease: the leader key expires, and a watchdog left armed would have fenced the server.
        for (var id = 1; id <= 20; id++)
        {
            await leader.ExecuteAsync($"INSERT INTO writes(id) VALUES ({id})");
            Assert.Equal(postmaster, leader.PostmasterPid());
            await Task.Delay(400);
        }

        Assert.Equal(1, await WritableNodesAsync(cluster));
        Assert.False(await leader.ScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Contains("leaves PostgreSQL running", leader.LogTail(20));
        leader.KillPostmaster();
    }

    /// <summary>How many nodes accept a write right now (a node that does not answer counts as not writable).</summary>
    private static async Task<int> WritableNodesAsync(AgentCluster cluster)
    {
        var writable = 0;
        foreach (var node in cluster.Nodes)
        {
            try
            {
                if (!await node.ScalarAsync<bool>("SELECT pg_is_in_recovery()"))
                    writable++;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
            {
            }
        }

        return writable;
    }
}
