using Npgsql;
using PgHa.Testing;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

/// <summary>
/// What ends a COMMIT's wait for synchronous replication, and how its outcome is reported: a statement timeout must
/// not, a DBA's cancel does and must not pass for a plain success, and the retry budget must not either (it counts
/// waiting for the cluster, not a healthy primary's own work).
/// </summary>
public sealed class CommitDurabilityTests : WriteTestBase
{
    [Fact]
    public async Task A_sessions_statement_timeout_does_not_end_a_commits_replication_wait()
    {
        var withTimeout = new NpgsqlConnectionStringBuilder(Cluster.ConnectionString) { Options = "-c statement_timeout=300" };
        var ds = DataSource(connectionString: withTimeout.ConnectionString);
        var write = await StartHeldWriteAsync(ds);

        await Task.Delay(1500); // five statement timeouts
        Assert.False(write.Task.IsCompleted);
        Assert.Equal(1, await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"));
        await ReleaseHeldCommitsAsync();

        await write.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, write.Runs);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node1));
    }

    [Fact]
    public async Task A_commit_whose_replication_wait_a_DBA_cancels_is_reported_committed_but_not_replicated()
    {
        var ds = DataSource();
        var write = await StartHeldWriteAsync(ds);

        await Node1.ExecuteAsync($"SELECT pg_cancel_backend({await HeldCommitterAsync()})");

        var error = await Assert.ThrowsAsync<PgHaCommitNotReplicatedException>(() => write.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(Node1.Port, error.Node.Port);
        Assert.NotNull(error.Token);
        Assert.Equal(1, write.Runs);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node1)); // committed on the primary
        Assert.Empty(await ReadIdsAsync(Node2));              // and on no standby
    }

    [Fact]
    public async Task A_commit_slower_than_the_retry_budget_on_a_healthy_primary_is_committed_not_unknown()
    {
        var ds = DataSource(o => o.RetryBudget = TimeSpan.FromSeconds(1));
        var write = await StartHeldWriteAsync(ds);

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.False(write.Task.IsCompleted);
        await ReleaseHeldCommitsAsync();

        await write.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, write.Runs);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node1));
    }

    [Fact]
    public async Task A_unit_whose_own_work_outlasts_the_retry_budget_still_commits()
    {
        var ds = DataSource(o => o.RetryBudget = TimeSpan.FromMilliseconds(500));
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");

        await ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var slow = new NpgsqlCommand("SELECT pg_sleep(1.5)", c, t);
            await slow.ExecuteNonQueryAsync(ct);
            await InsertAsync(c, t, 1, ct);
        });

        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node1));
    }
}
