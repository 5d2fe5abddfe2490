using Microsoft.EntityFrameworkCore;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>
/// EF Core over a node that stops answering without closing its sockets (SIGSTOP). The freeze is held until the
/// operation under test has finished, or 20 s: far past the 3 s retry budget and the probe timeouts.
/// </summary>
public sealed class FrozenNodeTests : HeldCommitTestBase
{
    private static readonly TimeSpan HeldAtMost = TimeSpan.FromSeconds(20);

    protected override void Configure(PgHaOptions options) => options.RetryBudget = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task SaveChanges_whose_COMMIT_is_held_when_the_primary_freezes_is_resolved_on_the_promoted_standby_before_the_thaw()
    {
        var text = EfTest.UniqueText("frozen-commit");
        var inserts = new CountingCommandInterceptor();
        await using var db = NewContext(inserts);
        Task<int> save = null!;
        await WithCommitsHeldAsync(async () =>
        {
            db.Orders.Add(new Order { Text = text });
            save = db.SaveChangesAsync();
            await WaitForCommitWaitingOnReplicationAsync(save);
            await WaitForReceiveAsync(Node2);

            Node1.Freeze();
            await Node2.ResumeReplayAsync();
            await Node2.PromoteAsync();
        });

        Assert.Equal(1, await save.WaitAsync(HeldAtMost));
        Assert.True(Node1.IsRunning);
        Assert.Equal(1, inserts.Inserts);
        Assert.Equal(1, await EfTest.CountOrdersAsync(Node2, text));
    }

    [Fact]
    public async Task SaveChanges_whose_INSERT_is_in_flight_when_the_primary_freezes_runs_again_on_the_promoted_replica_before_the_thaw()
    {
        var text = EfTest.UniqueText("frozen-insert");
        Task promotion = Task.CompletedTask;
        // Right before the first INSERT is sent: node1 freezes (so the INSERT hangs in flight) and node2 is promoted.
        var inserts = new CountingCommandInterceptor(beforeFirstInsert: () =>
        {
            Node1.Freeze();
            promotion = Node2.PromoteAsync();
        });
        await using var db = NewContext(inserts);
        db.Orders.Add(new Order { Text = text });

        Assert.Equal(1, await db.SaveChangesAsync().WaitAsync(HeldAtMost));
        await promotion;
        Assert.True(Node1.IsRunning);
        Assert.Equal(2, inserts.Inserts);
        Assert.Equal(1, await EfTest.CountOrdersAsync(Node2, text));
    }

    [Fact]
    public async Task A_query_in_flight_on_a_replica_that_freezes_runs_again_on_another_node_before_the_thaw()
    {
        // node1 and node3 only: every replica query lands on node3.
        await using var dataSource = new PgHaDataSourceBuilder(Cluster.ConnectionStringFor(Node1, Node3)).Build();
        await EfTest.WaitForTopologyAsync(dataSource, t => t.Primary is not null && t.Nodes.All(n => n.Health == NodeHealth.Up));
        await using var db = new OrdersContext(EfTest.Options(dataSource));
        Task<int> query;
        using (db.ReadFromReplica())
        {
            query = db.Database.SqlQuery<int>(
                $"SELECT inet_server_port() AS \"Value\" FROM pg_sleep(CASE WHEN inet_server_port() = {Node3.Port} THEN 60 ELSE 0 END)").SingleAsync();
            await WaitUntilSleepingAsync(Node3);
            Node3.Freeze();
            Assert.Equal(Node1.Port, await query.WaitAsync(HeldAtMost)); // the primary, as ReplicaFallback.Primary allows
        }

        Assert.True(Node3.IsRunning);
        Assert.Equal(NodeHealth.Down, dataSource.Topology.Nodes.Single(n => n.EndPoint.Port == Node3.Port).Health);
    }

    [Fact]
    public async Task Saves_acknowledged_around_a_frozen_primary_and_its_thaw_are_all_on_the_promoted_replica()
    {
        var acknowledged = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var savers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var text = EfTest.UniqueText("around-freeze");
                try
                {
                    await using var db = NewContext();
                    db.Orders.Add(new Order { Text = text });
                    await db.SaveChangesAsync();
                    acknowledged.Enqueue(text);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }

                await Task.Delay(10);
            }
        })).ToArray();
        await WaitForCountAsync(acknowledged, 10);

        Node1.Freeze();
        await Task.Delay(1200);
        await Node2.PromoteAsync();
        await WaitForCountAsync(acknowledged, acknowledged.Count + 10); // node2 takes saves while node1 stays frozen
        Node1.Thaw();
        await EfTest.WaitForTopologyAsync(DataSource, t => t.Nodes.Single(n => n.EndPoint.Port == Node1.Port) is { Health: NodeHealth.Up, IsFenced: true });
        await WaitForCountAsync(acknowledged, acknowledged.Count + 10);
        await stop.CancelAsync();
        await Task.WhenAll(savers);

        Assert.True(errors.IsEmpty, string.Join("\n", errors));
        var missing = new List<string>();
        foreach (var text in acknowledged)
        {
            if (await EfTest.CountOrdersAsync(Node2, text) != 1)
                missing.Add(text);
        }

        Assert.True(missing.Count == 0, $"acknowledged but not once on the new primary: {string.Join(", ", missing)}");
    }

    private static async Task WaitForCountAsync<T>(System.Collections.Concurrent.ConcurrentQueue<T> queue, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (queue.Count < count)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"only {queue.Count} of {count} saves acknowledged");
            await Task.Delay(20);
        }
    }

    private static async Task WaitUntilSleepingAsync(PgNode node)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await node.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"no query sleeps on {node}");
            await Task.Delay(20);
        }
    }
}
