using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>A COMMIT that gets no answer on a live connection (a synchronous standby that does not apply it).</summary>
public sealed class UnansweredCommitTests : HeldCommitTestBase
{
    protected override void Configure(PgHaOptions options) => options.RetryBudget = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Cancelling_SaveChanges_never_cancels_its_COMMIT_and_the_save_reports_what_happened()
    {
        var text = EfTest.UniqueText("cancelled");
        await using var db = NewContext();
        Task<int> save = null!;
        await WithCommitsHeldAsync(async () =>
        {
            using var cancel = new CancellationTokenSource();
            db.Orders.Add(new Order { Text = text });
            save = db.SaveChangesAsync(cancel.Token);
            await WaitForCommitWaitingOnReplicationAsync(save);

            await cancel.CancelAsync();

            // Cancelling a COMMIT that waits for a synchronous standby would make PostgreSQL commit it locally,
            // unreplicated, and answer success: the COMMIT keeps waiting instead.
            await Task.Delay(300);
            Assert.False(save.IsCompleted);
            Assert.Equal(1, await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"));
        });

        Assert.Equal(1, await save.WaitAsync(TimeSpan.FromSeconds(10))); // it committed once released: the save says so
        Assert.Equal(1, await EfTest.CountOrdersAsync(Node1, text));
    }

    [Fact]
    public async Task A_COMMIT_slower_than_the_retry_budget_on_a_healthy_primary_reports_the_save_committed()
    {
        var text = EfTest.UniqueText("slow-commit");
        await using var db = NewContext();
        Task<int> save = null!;
        await WithCommitsHeldAsync(async () =>
        {
            db.Orders.Add(new Order { Text = text });
            save = db.SaveChangesAsync();
            await WaitForCommitWaitingOnReplicationAsync(save);

            // Past the 2 s budget: the budget counts waiting for the cluster, and this primary answers its probes.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(save.IsCompleted);
        });

        Assert.Equal(1, await save.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, await EfTest.CountOrdersAsync(Node1, text));
        await using var next = NewContext();
        next.Orders.Add(new Order { Text = text + "-next" });
        Assert.Equal(1, await next.SaveChangesAsync());
    }
}
