using System.Diagnostics;
using Npgsql;

namespace PgHa.Testing.Tests;

public sealed class NodeFaultTests
{
    [Fact]
    public async Task Killed_node_restarts_with_a_new_postmaster()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 0);
        var node = cluster.InitialPrimary;
        await TestClusters.CreateTableAsync(node);
        await TestClusters.InsertAsync(node, 1, "committed");
        var before = node.PostmasterPid!.Value;

        node.Kill();

        Assert.False(node.IsRunning);
        Assert.Null(node.PostmasterPid);
        Assert.True(File.Exists(Path.Combine(node.DataDirectory, "postmaster.pid")), "a crash leaves the lock file behind");
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => node.ExecuteAsync("SELECT 1"));

        await node.StartAsync();

        Assert.NotEqual(before, node.PostmasterPid);
        Assert.Equal(1, await TestClusters.CountAsync(node, "committed"));
    }

    [Fact]
    public async Task Kill_closes_open_connections_at_once()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 0);
        var node = cluster.InitialPrimary;
        await using var connection = new NpgsqlConnection(node.ConnectionString + ";Command Timeout=30");
        await connection.OpenAsync();

        node.Kill();
        var elapsed = Stopwatch.StartNew();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => command.ExecuteScalarAsync());

        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(5), $"took {elapsed.Elapsed}");
    }

    [Fact]
    public async Task Backends_exit_when_only_their_postmaster_is_killed_and_the_node_restarts()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 0);
        var node = cluster.InitialPrimary;
        await using var connection = new NpgsqlConnection(node.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await command.ExecuteScalarAsync())!;

        node.KillPostmasterOnly();
        await node.StartAsync();

        Assert.False(TestClusters.IsAlive(backend), $"backend {backend} outlived its postmaster");
        Assert.Equal(1, await node.ExecuteScalarAsync<int>("SELECT 1"));
    }

    [Fact]
    public async Task Frozen_node_times_out_queries_until_thawed()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 0);
        var node = cluster.InitialPrimary;
        var shortTimeouts = node.ConnectionString + ";Timeout=2;Command Timeout=2;Cancellation Timeout=-1;Pooling=false";
        await using var open = new NpgsqlConnection(shortTimeouts);
        await open.OpenAsync();

        node.Freeze();
        try
        {
            Assert.True(node.IsRunning);
            await using var command = new NpgsqlCommand("SELECT 1", open);
            var onOpenConnection = await Assert.ThrowsAsync<NpgsqlException>(() => command.ExecuteScalarAsync());
            Assert.IsType<TimeoutException>(onOpenConnection.InnerException);
            await using var fresh = new NpgsqlConnection(shortTimeouts);
            var onConnect = await Assert.ThrowsAsync<NpgsqlException>(() => fresh.OpenAsync());
            Assert.IsType<TimeoutException>(onConnect.InnerException);
        }
        finally
        {
            node.Thaw();
        }

        await using var afterThaw = new NpgsqlConnection(shortTimeouts);
        await afterThaw.OpenAsync();
        await using var check = new NpgsqlCommand("SELECT 1", afterThaw);
        Assert.Equal(1, await check.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Stopped_node_refuses_connections_and_starts_again()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 0);
        var node = cluster.InitialPrimary;

        await node.StopAsync(PgStopMode.Immediate);
        Assert.False(node.IsRunning);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => node.ExecuteAsync("SELECT 1"));
        await node.StopAsync();

        await node.StartAsync();
        Assert.True(node.IsRunning);
        Assert.Equal(1, await node.ExecuteScalarAsync<int>("SELECT 1"));
    }
}
