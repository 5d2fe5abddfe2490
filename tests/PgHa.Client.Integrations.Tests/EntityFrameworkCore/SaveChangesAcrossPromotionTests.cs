using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>SaveChanges across a promotion: the primary is killed, a replica promoted, and the save lands once.</summary>
public sealed class SaveChangesAcrossPromotionTests : EfClusterTestBase
{
    [Fact]
    public async Task SaveChanges_cut_off_by_the_primary_dying_mid_transaction_runs_again_on_the_new_primary_exactly_once()
    {
        var text = EfTest.UniqueText("promotion");
        Task promotion = Task.CompletedTask;
        // Right after the INSERT ran on node1 and before COMMIT: node1 dies and node2 is promoted.
        var inserts = new CountingCommandInterceptor(afterFirstInsert: () =>
        {
            Node1.Kill();
            promotion = Node2.PromoteAsync();
        });
        var factory = new PooledDbContextFactory<OrdersContext>(EfTest.Options(DataSource, session: null, inserts), poolSize: 1);
        await using (var warm = await factory.CreateDbContextAsync())
            Assert.Equal(Node1.Port, await EfTest.ServerPortAsync(warm));

        await using var db = await factory.CreateDbContextAsync(); // the same pooled instance, its connection last on node1
        var order = new Order { Text = text };
        db.Orders.Add(order);
        Assert.Equal(1, await db.SaveChangesAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        await promotion;

        Assert.Equal(2, inserts.Inserts); // the first attempt's INSERT never committed; the second one did
        Assert.Equal(1, await EfTest.CountOrdersAsync(Node2, text));
        Assert.Equal(order.Id, await Node2.ExecuteScalarAsync<long>($"SELECT id FROM orders WHERE text = '{text}'"));
        Assert.Equal(EntityState.Unchanged, db.Entry(order).State);
        Assert.Equal(Node2.Port, await EfTest.ServerPortAsync(db));
    }

    [Fact]
    public async Task SaveChanges_begun_while_there_is_no_primary_waits_for_the_promotion_and_lands_once()
    {
        var text = EfTest.UniqueText("no-primary");
        var inserts = new CountingCommandInterceptor();
        await using var db = NewContext(inserts);
        Assert.Equal(Node1.Port, await EfTest.ServerPortAsync(db));
        Node1.Kill();
        await EfTest.WaitForTopologyAsync(DataSource, t => t.Primary is null);

        db.Orders.Add(new Order { Text = text });
        var save = db.SaveChangesAsync();
        await Task.Delay(300);
        Assert.False(save.IsCompleted, "the save did not wait for a primary");
        await Node2.PromoteAsync();

        Assert.Equal(1, await save.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(1, inserts.Inserts);
        Assert.Equal(1, await EfTest.CountOrdersAsync(Node2, text));
    }

    [Fact]
    public async Task A_connection_opened_explicitly_that_broke_in_a_failover_fails_with_a_message_saying_to_close_it()
    {
        await using var db = NewContext();
        await db.Database.OpenConnectionAsync();
        Assert.Equal(Node1.Port, await EfTest.ServerPortAsync(db));

        Node1.Kill();
        await Node2.PromoteAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EfTest.ServerPortAsync(db));
        Assert.Contains("opened explicitly", error.Message, StringComparison.Ordinal);
        await db.Database.CloseConnectionAsync();
        Assert.Equal(Node2.Port, await EfTest.ServerPortAsync(db)); // closed, it is routed again
    }

    [Fact]
    public async Task Saves_running_through_a_SIGKILL_and_promotion_fail_none_lose_none_and_duplicate_none()
    {
        // Asynchronous replication loses commits the primary acknowledged but had not streamed when it died
        // (PostgreSQL's documented window): "nothing acknowledged is lost" needs them on the replica promoted.
        await Node1.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = 'ANY 2 (*)'");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");
        var acknowledged = new ConcurrentBag<string>();
        var errors = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var options = EfTest.Options(DataSource);
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var text = $"loop-{i}";
                try
                {
                    await using var db = new OrdersContext(options);
                    db.Orders.Add(new Order { Text = text });
                    await db.SaveChangesAsync();
                    acknowledged.Add(text);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }
            }
        });

        await Task.Delay(500);
        Node1.Kill();
        await Task.Delay(300);
        await Node2.PromoteAsync();
        await Task.Delay(700);
        await stop.CancelAsync();
        await writer.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(errors);
        var rows = new List<string>();
        await using (var db = new OrdersContext(options))
            rows.AddRange(await db.Orders.Where(o => o.Text.StartsWith("loop-")).Select(o => o.Text).ToListAsync());
        Assert.Equal(rows.Count, rows.Distinct().Count()); // no save applied twice
        Assert.Equal(acknowledged.Order(), rows.Order());   // every acknowledged save is there, and nothing else
        Assert.True(acknowledged.Count > 10, $"only {acknowledged.Count} saves ran");
    }
}
