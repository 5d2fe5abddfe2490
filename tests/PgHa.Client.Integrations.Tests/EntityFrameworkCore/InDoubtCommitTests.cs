using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>
/// SaveChanges whose COMMIT is cut off in flight: held deterministically in the synchronous-replication wait on
/// node1, then node1 is killed. The commit marker on whichever node is promoted tells what happened.
/// </summary>
public sealed class InDoubtCommitTests : EfClusterTestBase
{
    [Fact]
    public async Task A_commit_cut_off_after_the_new_primary_received_it_is_found_committed_and_not_run_again()
    {
        var text = EfTest.UniqueText("in-doubt-committed");
        var inserts = new CountingCommandInterceptor();
        await using var db = NewContext(inserts);
        await HoldCommitsAsync();
        var order = new Order { Text = text };
        db.Orders.Add(order);
        var save = db.SaveChangesAsync();
        await WaitForCommitWaitingOnReplicationAsync(save);
        await WaitForReceiveAsync(Node2);

        Node1.Kill();
        await Node2.ResumeReplayAsync();
        await Node2.PromoteAsync();

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
        await HoldCommitsAsync();
        await Node2.StopAsync(PgStopMode.Fast); // node2 will not see the COMMIT: node3 is the standby node1 waits for
        db.Orders.Add(new Order { Text = text });
        var save = db.SaveChangesAsync();
        await WaitForCommitWaitingOnReplicationAsync(save);

        Node1.Kill();
        await Node2.StartAsync();
        await Node2.PromoteAsync();

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
        await HoldCommitsAsync();
        var write = db.Database.ExecuteSqlAsync($"INSERT INTO orders(text) VALUES ({text})");
        await WaitForCommitWaitingOnReplicationAsync(write);

        Node1.Kill();

        var unknown = await Assert.ThrowsAsync<PgHaCommitOutcomeUnknownException>(() => write.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("outside a transaction", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(Node1.Port, unknown.Node.Port);
        Assert.Equal(1, inserts.Inserts);
    }

    /// <summary>
    /// COMMITs on node1 wait until a replica has applied them, and replay is paused: every COMMIT hangs in flight.
    /// Set with ALTER SYSTEM on node1 only (auto.conf is not replicated), so a promoted replica does not wait.
    /// </summary>
    private async Task HoldCommitsAsync()
    {
        await Node2.PauseReplayAsync();
        await Node3.PauseReplayAsync();
        await Node1.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = '*'");
        await Node1.ExecuteAsync("ALTER SYSTEM SET synchronous_commit = 'remote_apply'");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");
        // An idle pooled backend applies a reload only between messages: wait until the connection the pool hands
        // out next (the one the save will use) has it.
        var clock = Stopwatch.StartNew();
        while (!await PooledConnectionHoldsCommitsAsync())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the pooled connections did not pick up the configuration");
            await Task.Delay(10);
        }
    }

    private async Task<bool> PooledConnectionHoldsCommitsAsync()
    {
        await using var connection = await DataSource.OpenConnectionAsync(TargetRole.Primary);
        await using var command = new NpgsqlCommand("SELECT current_setting('synchronous_commit') = 'remote_apply' AND current_setting('synchronous_standby_names') = '*'", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private async Task WaitForCommitWaitingOnReplicationAsync(Task write)
    {
        var clock = Stopwatch.StartNew();
        while (await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") == 0)
        {
            if (write.IsCompleted)
            {
                await write; // ended before its COMMIT waited: show why
                Assert.Fail("the write committed without waiting for replication");
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no COMMIT started waiting for replication");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until <paramref name="replica"/> has received (not necessarily replayed) all WAL node1 has flushed.</summary>
    private async Task WaitForReceiveAsync(PgNode replica)
    {
        var flushed = await Node1.ExecuteScalarAsync<string>("SELECT pg_current_wal_flush_lsn()::text");
        var clock = Stopwatch.StartNew();
        while (!await replica.ExecuteScalarAsync<bool>($"SELECT pg_last_wal_receive_lsn() >= '{flushed}'::pg_lsn"))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{replica.Name} did not receive up to {flushed}");
            await Task.Delay(10);
        }
    }
}
