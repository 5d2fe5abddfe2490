using System.Diagnostics;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.IntegrationTests;

/// <summary>Waits used by tests that hold a COMMIT in flight with synchronous replication (shared with the EF Core tests).</summary>
internal static class HeldCommits
{
    /// <summary>
    /// Makes every COMMIT on <paramref name="primary"/> hang in flight: it waits until a replica has applied it, and
    /// replay is paused on every replica. Set with ALTER SYSTEM on the primary only (auto.conf is not replicated),
    /// so a promoted replica does not wait. Returns once the connection <paramref name="dataSource"/> hands out next
    /// has the settings.
    /// </summary>
    public static async Task HoldAsync(PgNode primary, PgNode[] replicas, PgHaDataSource dataSource)
    {
        foreach (var replica in replicas)
            await replica.PauseReplayAsync();
        await primary.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = '*'");
        await primary.ExecuteAsync("ALTER SYSTEM SET synchronous_commit = 'remote_apply'");
        await ConfigurationReload.ApplyAsync(primary, dataSource, "current_setting('synchronous_commit') = 'remote_apply' AND current_setting('synchronous_standby_names') = '*'");
    }

    /// <summary>Waits until a COMMIT on <paramref name="primary"/> waits for replication; fails at once if <paramref name="write"/> ended first.</summary>
    public static Task WaitForCommitWaitingOnReplicationAsync(PgNode primary, Task? write)
        => WaitForCommitWaitingOnReplicationAsync(primary, 1, write is null ? [] : [write]);

    /// <summary>
    /// Waits until at least <paramref name="expected"/> COMMITs on <paramref name="primary"/> wait for replication;
    /// fails at once if one of <paramref name="writes"/> ended first.
    /// </summary>
    public static async Task WaitForCommitWaitingOnReplicationAsync(PgNode primary, int expected, params Task[] writes)
    {
        var clock = Stopwatch.StartNew();
        while (await primary.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") < expected)
        {
            if (writes.FirstOrDefault(w => w.IsCompleted) is { } ended)
            {
                await ended; // ended before its COMMIT waited: show why
                Assert.Fail("a write committed without waiting for replication");
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"fewer than {expected} COMMITs started waiting for replication");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until <paramref name="replica"/> has received (not necessarily replayed) all WAL <paramref name="primary"/> has flushed.</summary>
    public static async Task WaitForReceiveAsync(PgNode primary, PgNode replica)
    {
        var flushed = await primary.ExecuteScalarAsync<string>("SELECT pg_current_wal_flush_lsn()::text");
        var clock = Stopwatch.StartNew();
        while (!await replica.ExecuteScalarAsync<bool>($"SELECT pg_last_wal_receive_lsn() >= '{flushed}'::pg_lsn"))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{replica.Name} did not receive up to {flushed}");
            await Task.Delay(10);
        }
    }
}
