using System.Diagnostics;
using Npgsql;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>For tests that need a COMMIT hanging in flight, deterministically.</summary>
public abstract class HeldCommitTestBase : EfClusterTestBase
{
    /// <summary>
    /// Runs <paramref name="body"/> with COMMITs on node1 held (see <see cref="HoldCommitsAsync"/>) and releases them
    /// afterwards whatever happened: a failing test must not leave its context disposing onto a COMMIT held forever.
    /// </summary>
    protected async Task WithCommitsHeldAsync(Func<Task> body)
    {
        await HoldCommitsAsync();
        try
        {
            await body();
        }
        finally
        {
            await ReleaseCommitsAsync();
        }
    }

    /// <summary>Resumes replay on both replicas: which one node1 waits for ('*' takes the first connected) is not ours to pick.</summary>
    protected async Task ReleaseCommitsAsync()
    {
        foreach (var replica in new[] { Node2, Node3 }.Where(n => n.IsRunning))
        {
            try
            {
                await replica.ResumeReplayAsync();
            }
            catch (PostgresException)
            {
                // promoted: no replay to resume
            }
        }
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

    protected async Task WaitForCommitWaitingOnReplicationAsync(Task write)
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
    protected async Task WaitForReceiveAsync(PgNode replica)
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
