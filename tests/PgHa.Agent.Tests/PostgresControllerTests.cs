using System.Net;
using System.Net.Sockets;
using Npgsql;
using PgHa.Agent.Configuration;
using PgHa.Agent.Postgres;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The agent's PostgreSQL controls on real servers: bootstrap, clone, promote, rewind and follow.</summary>
public sealed class PostgresControllerTests : IAsyncLifetime
{
    private PgScratchDirectory _scratch = null!;

    public async Task InitializeAsync() => _scratch = await PgScratchDirectory.CreateAsync();

    public Task DisposeAsync() => _scratch.DisposeAsync().AsTask();

    [Fact]
    public async Task A_primary_is_bootstrapped_cloned_failed_over_and_the_old_primary_rewound_to_follow()
    {
        var node1 = Controller("node1");
        var node2 = Controller("node2");

        await node1.InitDbAsync(default);
        await node1.StartAsync(default);
        var primary = await node1.QueryStateAsync(default);
        Assert.True(primary.IsPrimary);
        Assert.Equal(1, primary.Timeline);
        Assert.True(await Scalar<bool>(node1, "SELECT current_setting('data_checksums') = 'on'"));

        await node2.CloneAsync(node1.Host, node1.Port, default);
        await node2.StartAsync(default);
        var replica = await node2.QueryStateAsync(default);
        Assert.False(replica.IsPrimary);
        Assert.Equal(primary.SystemIdentifier, replica.SystemIdentifier);
        Assert.Equal("node2", await Scalar<string>(node1, "SELECT slot_name FROM pg_replication_slots WHERE active"));

        await Execute(node1, "CREATE TABLE t(x int); INSERT INTO t VALUES (1)");
        await node1.StopAsync(immediate: true, default);   // the old primary dies...
        await node2.PromoteAsync(default);                  // ...and the replica takes over
        var promoted = await node2.QueryStateAsync(default);
        Assert.True(promoted.IsPrimary);
        Assert.Equal(2, promoted.Timeline);
        await Execute(node2, "CHECKPOINT"); // pg_rewind reads the new timeline from the control file
        await node2.EnsureSlotAsync(node1.SlotName, default);

        Assert.True(await node1.RewindAsync(node2.Host, node2.Port, default), node1.LastRewindOutput);
        await node1.SetUpstreamAsync(node2.Host, node2.Port, default);
        await node1.StartAsync(default);
        await Poll(async () => (await node1.QueryStateAsync(default)) is { IsPrimary: false, Timeline: 2 });
        await Execute(node2, "INSERT INTO t VALUES (2)");
        await Poll(async () => await Scalar<long>(node1, "SELECT count(*) FROM t") == 2);
    }

    private PostgresController Controller(string name) => new(new AgentOptions
    {
        Name = name,
        Scope = "test",
        DataDirectory = _scratch.DataDirectoryFor(name),
        BinDirectory = _scratch.BinDirectory,
        OsUser = _scratch.OsUser,
        Listen = $"127.0.0.1:{FreePort()}",
        EtcdEndpoints = ["http://127.0.0.1:2379"],
    });

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task Execute(PostgresController node, string sql)
    {
        await using var connection = new NpgsqlConnection(node.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> Scalar<T>(PostgresController node, string sql)
    {
        await using var connection = new NpgsqlConnection(node.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task Poll(Func<Task<bool>> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (NpgsqlException) when (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "condition not met in 20 s");
            await Task.Delay(100);
        }
    }
}
