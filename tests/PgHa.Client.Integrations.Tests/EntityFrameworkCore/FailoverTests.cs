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
}
