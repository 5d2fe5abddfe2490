using System.Text.Json.Nodes;
using Npgsql;
using PgHa.Client.Integrations.Tests.EntityFrameworkCore;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.Partition;

/// <summary>
/// A primary cut off the network (every packet dropped, no RST: the client's sockets stay open) while COMMITs wait on
/// it, in a real agent cluster in synchronous mode: three pgha-agent processes on etcd, each node in a network
/// namespace of its own. The link stays cut until the work under test has finished, or a minute has passed.
/// </summary>
[Collection(BesideTheOthers.Name)]
public sealed class PartitionedPrimaryTests : IAsyncLifetime
{
    private NamespacedAgentCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await NamespacedAgentCluster.StartAsync("partition", "partition-token", synchronous: true);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_unit_of_work_and_a_SaveChanges_whose_COMMITs_wait_on_a_primary_cut_off_the_network_complete_on_the_new_leader_before_the_link_heals()
    {
        var leader = await _cluster.WaitForHealthyAsync(TimeSpan.FromSeconds(120));
        var standby = await SynchronousStandbyAsync(leader);
        await using var dataSource = new PgHaDataSourceBuilder(_cluster.ConnectionString).Build();
        await EfTest.WaitForTopologyAsync(dataSource, t => t.Primary?.EndPoint.Port == leader.PgPort && t.IsDiscoveryComplete);
        await using (var db = new OrdersContext(EfTest.Options(dataSource)))
            await db.Database.EnsureCreatedAsync();
        await dataSource.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var create = new NpgsqlCommand("CREATE TABLE ids(id int PRIMARY KEY)", c, t);
            await create.ExecuteNonQueryAsync(ct);
        });
        var text = EfTest.UniqueText("partitioned");

        // The synchronous standby stops answering for a moment, so both COMMITs below wait for it on the leader.
        standby.FreezeNode();
        Task write, save;
        try
        {
            write = dataSource.ExecuteWriteAsync(async (c, t, ct) =>
            {
                await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES (1)", c, t);
                await insert.ExecuteNonQueryAsync(ct);
            });
            var context = new OrdersContext(EfTest.Options(dataSource));
            context.Orders.Add(new Order { Text = text });
            save = context.SaveChangesAsync().ContinueWith(async saved => { await context.DisposeAsync(); return await saved; }).Unwrap();
            await WaitForReplicationWaitersAsync(leader, 2, write, save);
            await _cluster.Network.CutAsync(leader.Name);
        }
        finally
        {
            standby.ThawNode();
        }

        try
        {
            await Task.WhenAll(write, save).WaitAsync(TimeSpan.FromMinutes(1));
            Assert.NotEqual(leader.PgPort, dataSource.Topology.Primary?.EndPoint.Port);
            Assert.Equal(1, await CountOnPrimaryAsync(dataSource, "SELECT count(*) FROM ids WHERE id = 1"));
            Assert.Equal(1, await CountOnPrimaryAsync(dataSource, $"SELECT count(*) FROM orders WHERE text = '{text}'"));
        }
        finally
        {
            await _cluster.Network.HealAsync(leader.Name);
        }
    }

    /// <summary>The member the leader's /cluster names as its synchronous standby.</summary>
    private async Task<AgentNode> SynchronousStandbyAsync(AgentNode leader)
    {
        var (_, body) = await leader.GetAsync("/cluster");
        var name = (body?["members"] as JsonArray)?.FirstOrDefault(m => (string?)m?["role"] == "sync_standby")?["name"];
        return _cluster.Nodes.Single(n => n.Name == (string?)name);
    }

    private static async Task WaitForReplicationWaitersAsync(AgentNode leader, int count, params Task[] writes)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await leader.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") < count)
        {
            foreach (var write in writes.Where(w => w.IsCompleted))
                await write; // ended before its COMMIT waited: show why
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"fewer than {count} COMMITs wait for replication on {leader.Name}");
            await Task.Delay(20);
        }
    }

    private static async Task<long> CountOnPrimaryAsync(PgHaDataSource dataSource, string sql)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TargetRole.Primary);
        await using var count = new NpgsqlCommand(sql, connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
