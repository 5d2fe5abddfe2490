using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

public sealed class FailureModeTests : ClusterTestBase
{
    protected override PgClusterOptions ClusterOptions => new() { Password = "right-password" };

    [Fact]
    public async Task With_every_node_down_an_open_fails_clearly_within_the_budget()
    {
        var ds = DataSource(o => o.NodeWaitTimeout = TimeSpan.FromSeconds(2));
        await WaitForDiscoveryAsync(ds);
        foreach (var node in Cluster.Nodes)
            node.Kill();
        await WaitForTopologyAsync(ds, t => t.Nodes.All(n => n.Health == NodeHealth.Down));

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PgHaException>(() => ds.OpenConnectionAsync().AsTask());
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(4));

        // The figure is the time actually waited (2.0 s, a little more on a loaded machine; bounded above).
        Assert.Matches(@"^No primary after waiting (1\.9|2\.\d|3\.\d) s", error.Message);
        foreach (var node in Cluster.Nodes)
            Assert.Contains($"{node.Endpoint} down (connection refused", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Topology);

        foreach (var role in new[] { TargetRole.Replica, TargetRole.PreferReplica, TargetRole.Any })
        {
            var read = await Assert.ThrowsAsync<PgHaException>(() => ds.OpenConnectionAsync(role).AsTask());
            Assert.Contains("down (connection refused", read.Message, StringComparison.Ordinal);
        }

        Assert.Throws<PgHaException>(() => ds.OpenConnection(TargetRole.Any));
        Assert.Throws<PgHaException>(() => ds.CreateConnection(TargetRole.Any));
    }

    [Fact]
    public async Task Hosts_where_nothing_listens_give_a_clear_error_without_hanging()
    {
        var deadPorts = new[] { FreePort(), FreePort() };
        var ds = DataSource(o => o.NodeWaitTimeout = TimeSpan.FromSeconds(1),
            connectionString: $"Host=127.0.0.1:{deadPorts[0]},127.0.0.1:{deadPorts[1]};Username=postgres;Password=right-password");

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PgHaException>(() => ds.OpenConnectionAsync().AsTask());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.Contains($"127.0.0.1:{deadPorts[0]} down (connection refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_fails_fast_with_the_reason_and_no_retry_storm()
    {
        var wrong = new NpgsqlConnectionStringBuilder(Cluster.ConnectionString) { Password = "wrong" }.ConnectionString;
        var ds = DataSource(o => o.NodeWaitTimeout = TimeSpan.FromSeconds(15), connectionString: wrong);

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PgHaException>(() => ds.OpenConnectionAsync().AsTask());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.Contains("28P01", error.Message, StringComparison.Ordinal);
        Assert.IsType<PostgresException>(error.InnerException);

        // A node that refused our credentials is retried every 5 s, not at the failover pace (every 100 ms, which
        // would be ~20 attempts per node in this window). Npgsql, like libpq, repeats a failed connect once
        // without GSS encryption (GSS Encryption Mode=Prefer), so one attempt costs the server two failed logins.
        const int loginsPerAttempt = 2;
        var before = await FailedLoginsAsync();
        await Task.Delay(TimeSpan.FromSeconds(4));
        var attemptsPerNode = (await FailedLoginsAsync() - before) / (double)(loginsPerAttempt * Cluster.Nodes.Count);
        Assert.InRange(attemptsPerNode, 0, 2);
    }

    [Fact]
    public async Task Disposing_the_data_source_does_not_block_on_a_frozen_node()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        Node2.Freeze();
        await Task.Delay(300); // a probe is likely in flight against the frozen node

        var clock = Stopwatch.StartNew();
        await ds.DisposeAsync();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"dispose took {clock.Elapsed}");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ds.OpenConnectionAsync().AsTask());
    }

    [Fact]
    public async Task Cancellation_stops_a_wait_for_a_primary_at_once()
    {
        var ds = DataSource(o => o.NodeWaitTimeout = TimeSpan.FromSeconds(30));
        await WaitForDiscoveryAsync(ds);
        Node1.Kill();
        await WaitForTopologyAsync(ds, t => t.Primary is null);

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ds.OpenConnectionAsync(cancel.Token).AsTask());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    private async Task<int> FailedLoginsAsync()
    {
        var total = 0;
        foreach (var node in Cluster.Nodes)
        {
            var log = await File.ReadAllTextAsync(node.LogFile);
            total += log.Split("password authentication failed").Length - 1;
        }

        return total;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
