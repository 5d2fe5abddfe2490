using System.Data.Common;
using Npgsql;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

public sealed class DiscoveryAndRoutingTests(SharedClusterFixture fixture) : IClassFixture<SharedClusterFixture>, IAsyncLifetime
{
    private readonly List<PgHaDataSource> _owned = [];
    private PgCluster Cluster => fixture.Cluster;
    private int PrimaryPort => Cluster.Nodes[0].Port;
    private int[] ReplicaPorts => [Cluster.Nodes[1].Port, Cluster.Nodes[2].Port];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var ds in _owned)
            await ds.DisposeAsync();
    }

    private async Task<PgHaDataSource> DiscoveredAsync(string? connectionString = null, Action<PgHaOptions>? configure = null)
    {
        var builder = new PgHaDataSourceBuilder(connectionString ?? Cluster.ConnectionString);
        configure?.Invoke(builder.Options);
        var ds = builder.Build();
        _owned.Add(ds);
        await WaitForDiscoveryAsync(ds);
        return ds;
    }

    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(1, 0, 2)]
    [InlineData(2, 1, 0)]
    public async Task Discovers_one_primary_and_two_replicas_from_any_host_order(int first, int second, int third)
    {
        var nodes = Cluster.Nodes;
        var ds = await DiscoveredAsync(Cluster.ConnectionStringFor(nodes[first], nodes[second], nodes[third]));

        var topology = ds.Topology;
        Assert.Equal(PrimaryPort, topology.Primary!.EndPoint.Port);
        Assert.Equal(ReplicaPorts.Order(), topology.Nodes.Where(n => n.Role == NodeRole.Replica).Select(n => n.EndPoint.Port).Order());
        Assert.All(topology.Nodes, n => Assert.Equal(NodeHealth.Up, n.Health));
        Assert.All(topology.Nodes, n => Assert.Equal(1, n.Timeline));
        Assert.Single(topology.Nodes.Select(n => n.SystemIdentifier).Distinct());
        Assert.Contains($"primary 127.0.0.1:{PrimaryPort}", topology.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_land_on_replicas_and_writes_on_the_primary()
    {
        var ds = await DiscoveredAsync();
        var readPorts = new List<int>();
        for (var i = 0; i < 20; i++)
            readPorts.Add(await OpenAndGetPortAsync(ds, TargetRole.Replica));
        var writePorts = new List<int>();
        for (var i = 0; i < 10; i++)
            writePorts.Add(await OpenAndGetPortAsync(ds, TargetRole.Primary));

        Assert.Equal(ReplicaPorts.Order(), readPorts.Distinct().Order());
        Assert.All(writePorts, p => Assert.Equal(PrimaryPort, p));
        Assert.InRange(readPorts.Count(p => p == ReplicaPorts[0]), 8, 12);
    }

    [Fact]
    public async Task Default_open_goes_to_the_primary_and_prefer_standby_to_a_replica()
    {
        var ds = await DiscoveredAsync();
        await using (var rw = await ds.OpenConnectionAsync())
            Assert.Equal(PrimaryPort, await ServerPortAsync(rw));

        var preferStandby = await DiscoveredAsync(Cluster.ConnectionString + ";Target Session Attributes=prefer-standby");
        await using var ro = await preferStandby.OpenConnectionAsync();
        Assert.Contains(await ServerPortAsync(ro), ReplicaPorts);
    }

    [Fact]
    public async Task Read_only_transaction_runs_on_a_replica_and_refuses_writes()
    {
        var ds = await DiscoveredAsync();
        await using var tx = await ds.BeginReadOnlyTransactionAsync();
        await using (var port = tx.CreateCommand("SELECT inet_server_port()"))
            Assert.Contains((int)(await port.ExecuteScalarAsync())!, ReplicaPorts);

        await using var onPrimary = await ds.BeginReadOnlyTransactionAsync(TargetRole.Primary);
        await using var write = onPrimary.CreateCommand("CREATE TEMP TABLE t(x int)");
        var error = await Assert.ThrowsAsync<PostgresException>(() => write.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, error.SqlState);
    }

    [Fact]
    public async Task Sync_opens_route_like_async_ones()
    {
        var ds = await DiscoveredAsync();
        using (var rw = ds.OpenConnection())
        using (var command = new NpgsqlCommand("SELECT inet_server_port()", rw))
            Assert.Equal(PrimaryPort, (int)command.ExecuteScalar()!);
        using (var ro = ds.OpenConnection(TargetRole.Replica))
        using (var command = new NpgsqlCommand("SELECT inet_server_port()", ro))
            Assert.Contains((int)command.ExecuteScalar()!, ReplicaPorts);
        using var tx = ds.BeginReadOnlyTransaction();
        using var inTx = tx.CreateCommand("SELECT pg_is_in_recovery()");
        Assert.True((bool)inTx.ExecuteScalar()!);
    }

    [Fact]
    public async Task Works_as_a_plain_DbDataSource_for_ADO_NET_code()
    {
        DbDataSource ds = await DiscoveredAsync();

        await using (var command = ds.CreateCommand("SELECT inet_server_port()"))
            Assert.Equal(PrimaryPort, (int)(await command.ExecuteScalarAsync())!);

        await using var connection = ds.CreateConnection();
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT pg_is_in_recovery()";
        Assert.False((bool)(await query.ExecuteScalarAsync())!);

        var replica = ((PgHaDataSource)ds).CreateConnection(TargetRole.Replica);
        await using (replica)
        {
            await replica.OpenAsync();
            Assert.Contains(await ServerPortAsync(replica), ReplicaPorts);
        }
    }

    [Fact]
    public async Task Routing_on_the_request_path_sends_no_probes()
    {
        var ds = await DiscoveredAsync();
        var before = ds.Topology.Version; // every probe result publishes a new version
        var clock = System.Diagnostics.Stopwatch.StartNew();

        while (clock.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            ds.CreateConnection(TargetRole.Replica).Dispose();
            await using (await ds.OpenConnectionAsync(TargetRole.Replica)) { }
            await using (await ds.OpenConnectionAsync()) { }
        }

        // Three nodes probed once a second: about 3 snapshots a second. Requests that woke the watchdog would
        // make it probe every node at every 100 ms wake-up check: about 30 a second.
        var probes = ds.Topology.Version - before;
        Assert.True(probes <= 3 * (clock.Elapsed.TotalSeconds + 1), $"{probes} snapshots in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_single_host_works_as_a_one_node_cluster()
    {
        var ds = await DiscoveredAsync(Cluster.ConnectionStringFor(Cluster.Nodes[0]));
        Assert.Equal(PrimaryPort, await OpenAndGetPortAsync(ds, TargetRole.Primary));
        Assert.Equal(PrimaryPort, await OpenAndGetPortAsync(ds, TargetRole.Replica));
    }

    [Fact]
    public async Task Discovery_works_for_an_unprivileged_user()
    {
        await Cluster.Nodes[0].ExecuteAsync("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN; END IF; END $$");
        await Cluster.Nodes[2].WaitForReplayAsync(Cluster.Nodes[0], TimeSpan.FromSeconds(10));
        await Cluster.Nodes[1].WaitForReplayAsync(Cluster.Nodes[0], TimeSpan.FromSeconds(10));
        var asApp = new NpgsqlConnectionStringBuilder(Cluster.ConnectionString) { Username = "app" }.ConnectionString;

        var ds = await DiscoveredAsync(asApp);

        Assert.Equal(PrimaryPort, ds.Topology.Primary!.EndPoint.Port);
        Assert.All(ds.Topology.Nodes.Where(n => n.Role == NodeRole.Replica), n => Assert.Equal(TimeSpan.Zero, n.ReplicaLag));
        Assert.Contains(await OpenAndGetPortAsync(ds, TargetRole.Replica), ReplicaPorts);
    }

    [Fact]
    public async Task Each_node_has_one_monitoring_connection_outside_the_pool()
    {
        var ds = await DiscoveredAsync(Cluster.ConnectionString + ";Application Name=monitor-count");
        for (var i = 0; i < 5; i++)
            await using (await ds.OpenConnectionAsync(TargetRole.Any)) { }
        const string count = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'monitor-count (pgha monitor)'";

        foreach (var node in Cluster.Nodes)
            Assert.Equal(1, await node.ExecuteScalarAsync<long>(count));

        await ds.DisposeAsync();
        _owned.Remove(ds);
        // A closed connection's backend leaves pg_stat_activity once it has exited; a leaked one never does.
        foreach (var node in Cluster.Nodes)
            await WaitUntilAsync(async () => await node.ExecuteScalarAsync<long>(count) == 0, TimeSpan.FromSeconds(10), $"{node.Name}'s monitoring connection to close");
    }
}
