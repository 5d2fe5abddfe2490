using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>Where a real DbContext's work lands on a real cluster: scope reads on replicas, everything else on the primary.</summary>
[Collection(SharedEfClusterCollection.Name)]
public sealed class ReplicaRoutingTests(SharedEfCluster shared)
{
    [Fact]
    public async Task Queries_inside_ReadFromReplica_run_on_replicas_and_outside_it_on_the_primary()
    {
        await using var db = shared.NewContext();

        using (db.ReadFromReplica())
        {
            for (var i = 0; i < 4; i++)
                Assert.Contains(await EfTest.ServerPortAsync(db), shared.ReplicaPorts);
            Assert.True(await db.Database.SqlQueryRaw<bool>("SELECT pg_is_in_recovery() AS \"Value\"").SingleAsync());
            await db.Orders.CountAsync(); // a LINQ query over the model runs there too
        }

        Assert.Equal(shared.Primary.Port, await EfTest.ServerPortAsync(db));
        Assert.False(await db.Database.SqlQueryRaw<bool>("SELECT pg_is_in_recovery() AS \"Value\"").SingleAsync());
    }

    [Fact]
    public async Task SaveChanges_writes_on_the_primary_in_a_transaction_with_a_commit_marker_and_the_row_replicates()
    {
        var text = EfTest.UniqueText("saved");
        var markersBefore = await shared.Primary.ExecuteScalarAsync<long>("SELECT count(*) FROM pgha.commit_markers");
        await using var db = shared.NewContext();

        db.Orders.Add(new Order { Text = text });
        Assert.Equal(1, await db.SaveChangesAsync());

        Assert.Equal(1, await EfTest.CountOrdersAsync(shared.Primary, text));
        // A single INSERT, yet it committed in a transaction through PgHa: its COMMIT carried a marker.
        Assert.Equal(markersBefore + 1, await shared.Primary.ExecuteScalarAsync<long>("SELECT count(*) FROM pgha.commit_markers"));
        await shared.WaitForReplicasAsync();
        using (db.ReadFromReplica())
            Assert.True(await db.Orders.AnyAsync(o => o.Text == text));
    }

    [Fact]
    public void The_sync_API_is_routed_the_same_way()
    {
        var text = EfTest.UniqueText("sync");
        using var db = shared.NewContext();

        db.Orders.Add(new Order { Text = text });
        db.SaveChanges();
        using (db.ReadFromReplica())
            Assert.Contains(EfTest.ServerPort(db), shared.ReplicaPorts);

        Assert.Equal(shared.Primary.Port, EfTest.ServerPort(db));
        Assert.Equal(1, db.Orders.Count(o => o.Text == text));
    }

    [Fact]
    public async Task A_user_transaction_inside_the_execution_strategy_commits_on_the_primary()
    {
        var text = EfTest.UniqueText("user-tx");
        await using var db = shared.NewContext();

        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Orders.Add(new Order { Text = text });
            await db.SaveChangesAsync(acceptAllChangesOnSuccess: false);
            await db.Database.ExecuteSqlAsync($"INSERT INTO orders(text) VALUES ({text})");
            await transaction.CommitAsync();
            db.ChangeTracker.AcceptAllChanges();
        });

        Assert.Equal(2, await EfTest.CountOrdersAsync(shared.Primary, text));
    }

    [Fact]
    public async Task Each_lease_of_a_pooled_context_is_routed_afresh_and_a_scope_left_open_does_not_follow_it()
    {
        var factory = new PooledDbContextFactory<OrdersContext>(EfTest.Options(shared.DataSource), poolSize: 1);
        await using (var first = await factory.CreateDbContextAsync())
        {
            _ = first.ReadFromReplica(); // never disposed
            Assert.Contains(await EfTest.ServerPortAsync(first), shared.ReplicaPorts);
        }

        await using var second = await factory.CreateDbContextAsync();
        Assert.Equal(shared.Primary.Port, await EfTest.ServerPortAsync(second));
        using (second.ReadFromReplica())
            Assert.Contains(await EfTest.ServerPortAsync(second), shared.ReplicaPorts);
    }

    [Fact]
    public async Task Nested_scopes_read_on_replicas_until_the_outermost_ends()
    {
        await using var db = shared.NewContext();
        var outer = db.ReadFromReplica();
        using (db.ReadFromReplica())
            Assert.Contains(await EfTest.ServerPortAsync(db), shared.ReplicaPorts);
        Assert.Contains(await EfTest.ServerPortAsync(db), shared.ReplicaPorts);

        outer.Dispose();
        outer.Dispose();

        Assert.Equal(shared.Primary.Port, await EfTest.ServerPortAsync(db));
    }
}
