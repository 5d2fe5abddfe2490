using System.Collections.Concurrent;
using Npgsql;
using PgHa.Client.Topology;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

/// <summary>
/// The server closing one session (idle_session_timeout, pg_terminate_backend) says nothing about the node: no
/// failover, no cleared pool, no error to the application.
/// </summary>
public sealed class ServerClosedSessionTests : WriteTestBase
{
    [Fact]
    public async Task A_pooled_connection_whose_backend_was_terminated_while_it_sat_idle_is_not_handed_out()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        int terminated;
        await using (var first = await ds.OpenConnectionAsync())
            terminated = first.ProcessID; // back in the pool, idle, the only one there
        await Node1.ExecuteAsync($"SELECT pg_terminate_backend({terminated})");
        await WaitUntilAsync(async () => await Node1.ExecuteScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE pid = {terminated}") == 0,
            TimeSpan.FromSeconds(10), "the backend is gone");
        // Connections back in use sooner are handed out unchecked (NodeConnectionOpener.CheckIfIdleFor).
        await Task.Delay(TimeSpan.FromSeconds(0.6));

        await using var next = await ds.OpenConnectionAsync();

        Assert.NotEqual(terminated, next.ProcessID);
        Assert.Equal(Node1.Port, await ServerPortAsync(next));
    }

    [Fact]
    public async Task A_unit_whose_backend_is_terminated_runs_again_on_the_same_primary_without_a_failover()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        var noPrimary = CountSnapshotsWithoutPrimary(ds);
        var runs = 0;

        await ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            if (Interlocked.Increment(ref runs) == 1)
                await Node1.ExecuteAsync($"SELECT pg_terminate_backend({c.ProcessID})", ct);
            await InsertAsync(c, t, 1, ct);
        });

        Assert.Equal(2, runs);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node1));
        Assert.Empty(noPrimary);
        Assert.Equal(NodeHealth.Up, NodeOf(ds.Topology, Node1).Health);
    }
}
