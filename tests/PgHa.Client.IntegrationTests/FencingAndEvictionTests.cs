using Npgsql;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

public sealed class FencingAndEvictionTests : ClusterTestBase
{
    [Fact]
    public async Task Old_primary_back_as_a_second_primary_on_an_older_timeline_is_never_routed_to()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        Node1.Kill();
        await Node2.PromoteAsync();
        await Node3.FollowAsync(Node2);
        await WaitForTopologyAsync(ds, t => t.Primary?.EndPoint.Port == Node2.Port);

        await Node1.StartAsync(); // comes back as a primary, still on timeline 1
        var fenced = await WaitForTopologyAsync(ds, t => NodeOf(t, Node1) is { Health: NodeHealth.Up, Role: NodeRole.Primary });

        var old = NodeOf(fenced, Node1);
        Assert.True(old.IsFenced);
        Assert.Contains("timeline 1 is older than timeline 2", old.FenceReason, StringComparison.Ordinal);
        Assert.Equal(Node2.Port, fenced.Primary!.EndPoint.Port);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(Node2.Port, await OpenAndGetPortAsync(ds, TargetRole.Primary));
            Assert.NotEqual(Node1.Port, await OpenAndGetPortAsync(ds, TargetRole.Any));
            Assert.NotEqual(Node1.Port, await OpenAndGetPortAsync(ds, TargetRole.Replica));
        }
    }

    [Fact]
    public async Task Pooled_connections_to_a_node_whose_role_changed_are_evicted()
    {
        var ds = DataSource(o => o.LoadBalancing = LoadBalancing.None); // replica reads all go to node2
        await WaitForDiscoveryAsync(ds);
        var pooledBackends = new List<int>();
        var open = new List<NpgsqlConnection>();
        for (var i = 0; i < 4; i++)
        {
            var connection = await ds.OpenConnectionAsync(TargetRole.Replica);
            Assert.Equal(Node2.Port, await ServerPortAsync(connection));
            pooledBackends.Add(connection.ProcessID);
            open.Add(connection);
        }

        foreach (var connection in open)
            await connection.DisposeAsync(); // back to node2's pool, idle

        Node1.Kill();
        await Node2.PromoteAsync();
        await WaitForTopologyAsync(ds, t => t.Primary?.EndPoint.Port == Node2.Port);

        // The pool is cleared after the snapshot is published, off the lock, and a closed backend leaves
        // pg_stat_activity when it has exited: wait for it. Without eviction these idle connections would stay
        // for Npgsql's 5-minute idle lifetime, far beyond this wait.
        await WaitUntilAsync(
            async () => await Node2.ExecuteScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE pid IN ({string.Join(',', pooledBackends)})") == 0,
            TimeSpan.FromSeconds(15),
            "node2's pooled connections from before the promotion to be closed");
    }

    [Fact]
    public async Task After_a_switchover_no_write_reaches_the_demoted_primary()
    {
        var ds = DataSource(o => o.NodeWaitTimeout = TimeSpan.FromSeconds(30));
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE w(id int, port int)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        // Warm node1's pool so stale connections would be there to hand out.
        for (var i = 0; i < 5; i++)
            await WriteAsync(ds, i);

        await Node1.StopAsync(PgStopMode.Fast);
        await Node2.PromoteAsync();
        await Node1.RejoinAsReplicaAsync(Node2);
        await Node3.FollowAsync(Node2);
        await WaitForTopologyAsync(ds, t => t.Primary?.EndPoint.Port == Node2.Port && NodeOf(t, Node1).Role == NodeRole.Replica);

        for (var i = 100; i < 150; i++)
        {
            var port = await WriteAsync(ds, i); // a stale connection to node1 would fail with 25006 here
            Assert.Equal(Node2.Port, port);
        }
    }

    private static async Task<int> WriteAsync(PgHaDataSource ds, int id)
    {
        await using var connection = await ds.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("INSERT INTO w VALUES ($1, inet_server_port()) RETURNING port", connection);
        command.Parameters.AddWithValue(id);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
