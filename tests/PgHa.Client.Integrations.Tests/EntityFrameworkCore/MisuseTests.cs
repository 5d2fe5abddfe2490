using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>What the scope refuses, and that each refusal says why and leaves the context usable.</summary>
[Collection(SharedEfClusterCollection.Name)]
public sealed class MisuseTests(SharedEfCluster shared)
{
    [Fact]
    public async Task SaveChanges_inside_a_replica_scope_throws_and_writes_nothing()
    {
        var text = EfTest.UniqueText("in-scope");
        await using var db = shared.NewContext();

        using (db.ReadFromReplica())
        {
            db.Orders.Add(new Order { Text = text });
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
            Assert.Contains("inside a ReadFromReplica scope", error.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(() => db.SaveChanges());
        }

        Assert.Equal(0, await EfTest.CountOrdersAsync(shared.Primary, text));
        Assert.Equal(1, await db.SaveChangesAsync()); // after the scope, the same change saves on the primary
        Assert.Equal(1, await EfTest.CountOrdersAsync(shared.Primary, text));
    }

    [Fact]
    public async Task Entering_a_scope_with_the_connection_already_open_throws()
    {
        await using var db = shared.NewContext();
        await db.Database.OpenConnectionAsync();

        var error = Assert.Throws<InvalidOperationException>(() => db.ReadFromReplica());

        Assert.Contains("connection is open", error.Message, StringComparison.Ordinal);
        Assert.Equal(shared.Primary.Port, await EfTest.ServerPortAsync(db)); // still the primary connection it was
        await db.Database.CloseConnectionAsync();
        using (db.ReadFromReplica())
            Assert.Contains(await EfTest.ServerPortAsync(db), shared.ReplicaPorts);
    }

    [Fact]
    public async Task Entering_a_scope_inside_a_transaction_throws()
    {
        await using var db = shared.NewContext();
        await using var transaction = await db.Database.BeginTransactionAsync();

        var error = Assert.Throws<InvalidOperationException>(() => db.ReadFromReplica());

        Assert.Contains("transaction is active", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Beginning_a_transaction_inside_a_scope_throws_and_closes_the_replica_connection()
    {
        var text = EfTest.UniqueText("after-refused-tx");
        await using var db = shared.NewContext();

        using (db.ReadFromReplica())
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Database.BeginTransactionAsync());
            Assert.Contains("Transactions go to the primary", error.Message, StringComparison.Ordinal);
        }

        db.Orders.Add(new Order { Text = text });
        await db.SaveChangesAsync();
        Assert.Equal(1, await EfTest.CountOrdersAsync(shared.Primary, text));
    }

    [Fact]
    public async Task A_raw_write_inside_a_scope_fails_at_once_with_a_message_about_the_scope()
    {
        var text = EfTest.UniqueText("raw-in-scope");
        await using var db = shared.NewContext();

        using (db.ReadFromReplica())
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Database.ExecuteSqlAsync($"INSERT INTO orders(text) VALUES ({text})"));
            Assert.Contains("inside a ReadFromReplica scope", error.Message, StringComparison.Ordinal);
            Assert.IsType<PostgresException>(error.InnerException);
        }
    }

    [Fact]
    public async Task SaveChanges_with_a_connection_left_open_on_a_replica_throws()
    {
        await using var db = shared.NewContext();
        using (db.ReadFromReplica())
            await db.Database.OpenConnectionAsync();

        db.Orders.Add(new Order { Text = EfTest.UniqueText("left-open") });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());

        Assert.Contains("still open on a replica", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFromReplica_on_a_context_without_PgHa_throws()
    {
        var options = new DbContextOptionsBuilder<OrdersContext>().UseNpgsql(shared.Primary.ConnectionString).Options;
        await using var db = new OrdersContext(options);

        var error = Assert.Throws<InvalidOperationException>(() => db.ReadFromReplica());

        Assert.Contains("UsePgHa", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsePgHa_refuses_another_execution_strategy()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => new DbContextOptionsBuilder<OrdersContext>().UsePgHa(shared.DataSource, npgsql => npgsql.EnableRetryOnFailure()));

        Assert.Contains("execution strategy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_strategy_replaced_after_UsePgHa_is_refused_when_the_context_starts()
    {
        var options = new DbContextOptionsBuilder<OrdersContext>().UsePgHa(shared.DataSource).UseNpgsql(shared.DataSource, npgsql => npgsql.EnableRetryOnFailure()).Options;
        await using var db = new OrdersContext(options);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Orders.CountAsync());

        Assert.Contains("was replaced", error.Message, StringComparison.Ordinal);
    }
}
