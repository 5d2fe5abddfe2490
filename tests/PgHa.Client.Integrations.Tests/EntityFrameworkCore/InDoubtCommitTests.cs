using Microsoft.EntityFrameworkCore;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>
/// SaveChanges whose COMMIT is cut off in flight: held deterministically in the synchronous-replication wait on
/// node1, then node1 is killed. The commit marker on whichever node is promoted tells what happened.
/// </summary>
public sealed class InDoubtCommitTests : HeldCommitTestBase
{
    [Fact]
    public async Task A_commit_cut_off_after_the_new_primary_received_it_is_found_committed_and_not_run_again()
    {
        var text = EfTest.UniqueText("in-doubt-committed");
        var inserts = new CountingCommandInterceptor();
        await using var db = NewContext(inserts);
        var order = new Order { Text = text };
        Task<int> save = null!;
        await WithCommitsHeldAsync(async () =>
        {
            db.Orders.Add(order);
            save = db.SaveChangesAsync();
            await WaitForCommitWaitingOnReplicationAsync(save);
            await WaitForReceiveAsync(Node2);

            Node1.Kill();
            await Node2.ResumeReplayAsync();
            await Node2.PromoteAsync();
        });

        Assert.Equal(1, await save.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(1, inserts.Inserts);
        Assert.Equal(1, await EfTest.CountOrdersAsync(Node2, text));
        Assert.Equal(order.Id, await Node2.ExecuteScalarAsync<long>($"SELECT id FROM orders WHERE text = '{text}'"));
    }

    [Fact]
    public async Task A_commit_cut_off_before_it_reached_the_new_primary_is_fenced_there_and_SaveChanges_runs_again_once()
    {
        var text = EfTest.UniqueText("in-doubt-fenced");
        var inserts = new CountingCommandInterceptor();
        await using var db = NewContext(inserts);
        Task<int> save = null!;
        await WithCommitsHeldAsync(async () =>
        {
            await Node2.StopAsync(PgStopMode.Fast); // node2 will not see the COMMIT: node3 is the standby node1 waits for
            db.Orders.Add(new Order { Text = text });
            save = db.SaveChangesAsync();
            await WaitForCommitWaitingOnReplicationAsync(save);

            Node1.Kill();
            await Node2.StartAsync();
            await Node2.PromoteAsync();
        });

        Assert.Equal(1, await save.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(2, inserts.Inserts);
        Assert.Equal(1, await EfTest.CountOrdersAsync(Node2, text));
        Assert.Equal(1, await Node2.ExecuteScalarAsync<long>("SELECT count(*) FROM pgha.commit_markers WHERE kind = 'f'"));
    }

    [Fact]
    public async Task A_write_outside_a_transaction_cut_off_in_flight_is_reported_in_doubt_and_not_run_again()
    {
        var text = EfTest.UniqueText("autocommit");
        var inserts = new CountingCommandInterceptor();
        await using var db = NewContext(inserts);
        Task<int> write = null!;
        await WithCommitsHeldAsync(async () =>
        {
            write = db.Database.ExecuteSqlAsync($"INSERT INTO orders(text) VALUES ({text})");
            await WaitForCommitWaitingOnReplicationAsync(write);

            Node1.Kill();
        });

        var unknown = await Assert.ThrowsAsync<PgHaCommitOutcomeUnknownException>(() => write.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("outside a transaction", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(Node1.Port, unknown.Node.Port);
        Assert.Equal(1, inserts.Inserts);
    }
}
