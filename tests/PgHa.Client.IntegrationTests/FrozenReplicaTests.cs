using System.Data;
using Npgsql;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

/// <summary>
/// A replica that stops answering without closing its sockets (SIGSTOP) while work runs on it. The data sources here
/// list node1 and node3 only, so every replica read lands on node3. The freeze is held until the work has finished,
/// or 20 s: far past the probe timeouts, and short of Npgsql's 30 s command timeout.
/// </summary>
public sealed class FrozenReplicaTests : ClusterTestBase
{
    private static readonly TimeSpan HeldAtMost = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Reads_in_flight_on_a_replica_that_freezes_run_again_on_another_node_before_the_thaw()
    {
        var ds = DataSource(connectionString: Cluster.ConnectionStringFor(Node1, Node3));
        await WaitForDiscoveryAsync(ds);
        var reads = Enumerable.Range(0, 4).Select(_ => ds.ExecuteReadAsync(async (c, ct) =>
        {
            var port = await ServerPortAsync(c);
            if (port == Node3.Port)
            {
                await using var slow = new NpgsqlCommand("SELECT pg_sleep(60)", c);
                await slow.ExecuteNonQueryAsync(ct);
            }

            return port;
        })).ToArray();
        await WaitForSleepersAsync(Node3, 4);

        Node3.Freeze();

        var ports = await Task.WhenAll(reads).WaitAsync(HeldAtMost);
        Assert.All(ports, port => Assert.Equal(Node1.Port, port)); // the primary, as ReplicaFallback.Primary allows
        Assert.Equal(NodeHealth.Down, NodeOf(ds.Topology, Node3).Health);
    }

    [Fact]
    public async Task A_command_in_flight_on_a_plain_connection_to_a_node_declared_lost_fails_at_once_instead_of_waiting_for_its_timeout()
    {
        var ds = DataSource(connectionString: Cluster.ConnectionStringFor(Node1, Node3));
        await WaitForDiscoveryAsync(ds);
        await using var connection = await ds.OpenConnectionAsync(TargetRole.Replica);
        Assert.Equal(Node3.Port, await ServerPortAsync(connection));
        await using var slow = new NpgsqlCommand("SELECT pg_sleep(60)", connection); // Npgsql's command timeout: 30 s
        var running = slow.ExecuteNonQueryAsync();
        await WaitForSleepersAsync(Node3, 1);

        Node3.Freeze();

        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => running.WaitAsync(HeldAtMost));
        Assert.IsNotType<TimeoutException>(error.InnerException);
        Assert.Equal(ConnectionState.Broken, connection.FullState);
        Assert.Equal(NodeHealth.Down, NodeOf(ds.Topology, Node3).Health);
    }

    private static Task WaitForSleepersAsync(PgNode node, int count)
        => WaitUntilAsync(async () => await node.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'") >= count,
            TimeSpan.FromSeconds(10), $"{count} reads sleep on {node}");
}
