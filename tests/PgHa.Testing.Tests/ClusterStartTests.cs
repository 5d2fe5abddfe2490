namespace PgHa.Testing.Tests;

public sealed class ClusterStartTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    private readonly PgCluster _cluster = shared.Cluster;

    [Fact]
    public async Task Replicas_stream_rows_written_on_the_primary()
    {
        var primary = _cluster.InitialPrimary;
        await TestClusters.CreateTableAsync(primary);
        await TestClusters.InsertAsync(primary, 1, "streamed");

        foreach (var replica in _cluster.Nodes.Skip(1))
        {
            await replica.WaitForReplayAsync(primary, TestClusters.ReplayTimeout);
            Assert.True(await replica.ExecuteScalarAsync<bool>("SELECT pg_is_in_recovery()"));
            Assert.Equal(1, await TestClusters.CountAsync(replica, "streamed"));
            var sender = await replica.ExecuteScalarAsync<int>("SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'");
            Assert.Equal(primary.Port, sender);
        }

        var slots = await primary.ExecuteScalarAsync<string>(
            "SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots WHERE active");
        Assert.Equal("node2,node3", slots);
    }

    [Fact]
    public void Nodes_are_named_in_order_on_distinct_loopback_ports()
    {
        Assert.Equal(["node1", "node2", "node3"], _cluster.Nodes.Select(n => n.Name));
        Assert.Same(_cluster.Nodes[0], _cluster.InitialPrimary);
        Assert.All(_cluster.Nodes, n => Assert.Equal("127.0.0.1", n.Host));
        Assert.Equal(3, _cluster.Nodes.Select(n => n.Port).Distinct().Count());
        Assert.All(_cluster.Nodes, n => Assert.True(n.IsRunning));
        Assert.All(_cluster.Nodes, n => Assert.StartsWith(_cluster.RootDirectory, n.DataDirectory, StringComparison.Ordinal));
        Assert.Equal($"node2 127.0.0.1:{_cluster.Nodes[1].Port}", _cluster.Nodes[1].ToString());
    }

    [Fact]
    public void Connection_strings_list_the_chosen_nodes_in_order()
    {
        var (n1, n2, n3) = (_cluster.Nodes[0], _cluster.Nodes[1], _cluster.Nodes[2]);

        Assert.Equal(
            $"Host=127.0.0.1:{n1.Port},127.0.0.1:{n2.Port},127.0.0.1:{n3.Port};Username=postgres;Database=postgres",
            _cluster.ConnectionString);
        Assert.Equal(
            $"Host=127.0.0.1:{n3.Port},127.0.0.1:{n1.Port};Username=postgres;Database=postgres",
            _cluster.ConnectionStringFor(n3, n1));
        Assert.Equal($"Host=127.0.0.1:{n2.Port};Username=postgres;Database=postgres", n2.ConnectionString);
    }

    [Fact]
    public async Task Node_connection_string_reaches_that_node()
    {
        var replica = _cluster.Nodes[2];
        await using var connection = new Npgsql.NpgsqlConnection(replica.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT inet_server_port()", connection);

        Assert.Equal(replica.Port, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Find_primary_returns_the_initial_primary()
    {
        Assert.Same(_cluster.InitialPrimary, await _cluster.FindPrimaryAsync());
    }
}
