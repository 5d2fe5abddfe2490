using PgHa.Client.Resilience;
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
    public async Task A_COMMIT_unanswered_for_the_whole_retry_budget_is_reported_unknown_once_PgHa_has_let_go_of_its_connection()
    {
        var text = EfTest.UniqueText("unanswered");
        await using var db = NewContext();
        Task<int> save = null!;
        var committer = 0;
        await WithCommitsHeldAsync(async () =>
        {
            db.Orders.Add(new Order { Text = text });
            save = db.SaveChangesAsync();
            await WaitForCommitWaitingOnReplicationAsync(save);
            committer = await Node1.ExecuteScalarAsync<int>("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep'");

            await Task.Delay(TimeSpan.FromSeconds(3)); // past the 2 s budget: PgHa stopped waiting, the COMMIT did not stop
            // Had the save returned, EF would have disposed the transaction on the connection the COMMIT still runs on.
            Assert.False(save.IsCompleted);
        });

        var unknown = await Assert.ThrowsAsync<PgHaCommitOutcomeUnknownException>(() => save.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(CommitOutcomeUnknownReason.BudgetExhausted, unknown.Reason);
        // PgHa read the COMMIT's answer and returned the connection to its pool, alive: had EF disposed the transaction
        // while PgHa was still reading, two readers on one connection would have broken it (the backend would be gone).
        Assert.Equal("idle", await Node1.ExecuteScalarAsync<string>($"SELECT state FROM pg_stat_activity WHERE pid = {committer}"));
        Assert.Equal(1, await EfTest.CountOrdersAsync(Node1, text));
        await using var next = NewContext();
        next.Orders.Add(new Order { Text = text + "-next" });
        Assert.Equal(1, await next.SaveChangesAsync());
    }
}
