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
    public async Task A_pooled_connection_whose_backend_was_terminated_is_not_handed_out()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        int terminated;
        await using (var first = await ds.OpenConnectionAsync())
            terminated = first.ProcessID; // back in the pool, idle, the only one there
        await Node1.ExecuteAsync($"SELECT pg_terminate_backend({terminated})");
        await WaitUntilAsync(async () => await Node1.ExecuteScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE pid = {terminated}") == 0,
            TimeSpan.FromSeconds(10), "the backend is gone");

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

    [Fact]
    public async Task With_a_one_second_idle_session_timeout_on_the_primary_a_minute_of_light_load_sees_no_failover_and_no_error()
    {
        // On node1 only (auto.conf is not replicated).
        await Node1.ExecuteAsync("ALTER SYSTEM SET idle_session_timeout = '1s'");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");
        await WaitUntilAsync(async () => await Node1.ExecuteScalarAsync<string>("SELECT current_setting('idle_session_timeout')") == "1s",
            TimeSpan.FromSeconds(10), "the reload takes effect");
        // A generous probe timeout: one probe slowed past 1 s by a loaded machine makes the primary suspect (no new
        // writes until it answers again), which is not what this test is about.
        var ds = DataSource(o => o.ProbeTimeout = TimeSpan.FromSeconds(3));
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        var noPrimary = CountSnapshotsWithoutPrimary(ds);
        var errors = new ConcurrentQueue<Exception>();
        var operations = 0;
        var next = 0;
        var until = DateTime.UtcNow.AddMinutes(1);

        // Light load: each worker pauses 0.8–2.5 s between operations, so pooled connections sit idle past the timeout.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (DateTime.UtcNow < until)
            {
                try
                {
                    await OneOperationAsync(ds, Interlocked.Increment(ref next));
                    Interlocked.Increment(ref operations);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }

                await Task.Delay(random.Next(800, 2500));
            }
        })));

        Assert.True(errors.IsEmpty, string.Join("\n", errors.Select(e => e.ToString())));
        Assert.True(noPrimary.IsEmpty, string.Join("\n", noPrimary.Select(e => e.Current.ToString())));
        Assert.True(operations > 0);
        // The test proves something only if the server did close idle sessions under it.
        var closed = (await File.ReadAllTextAsync(Node1.LogFile)).Split("idle-session timeout").Length - 1;
        Assert.True(closed > 0, "the server closed no idle session");
    }

    /// <summary>A write, a read on the primary, or a plain open and query, in turn.</summary>
    private static async Task OneOperationAsync(PgHaDataSource ds, int n)
    {
        switch (n % 3)
        {
            case 0:
                await ds.ExecuteWriteAsync((c, t, ct) => InsertAsync(c, t, n, ct));
                break;
            case 1:
                await ds.ExecuteReadAsync((c, ct) => ServerPortAsync(c), new Resilience.UnitOfWorkOptions { ReadRole = TargetRole.Primary });
                break;
            default:
                await using (var connection = await ds.OpenConnectionAsync())
                    await ServerPortAsync(connection);
                break;
        }
    }

    private static ConcurrentQueue<TopologyChangedEventArgs> CountSnapshotsWithoutPrimary(PgHaDataSource ds)
    {
        var seen = new ConcurrentQueue<TopologyChangedEventArgs>();
        ds.TopologyChanged += (_, e) =>
        {
            if (e.Current.Primary is null)
                seen.Enqueue(e);
        };
        return seen;
    }
}
