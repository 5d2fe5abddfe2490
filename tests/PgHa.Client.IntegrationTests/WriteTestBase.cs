using System.Diagnostics;
using Npgsql;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.IntegrationTests;

/// <summary>Helpers for write tests: a table of ids, and a way to hold COMMITs in flight deterministically.</summary>
public abstract class WriteTestBase : ClusterTestBase
{
    /// <summary>
    /// COMMITs on node1 wait until a replica has applied them, and replay is paused: every COMMIT hangs in flight,
    /// its commit record flushed on node1 and streamed to the replicas. Set with ALTER SYSTEM on node1 only
    /// (auto.conf is not replicated), so a promoted replica does not wait. The commit-marker table is created
    /// first, since creating it would hang too.
    /// </summary>
    protected async Task HoldCommitsAsync(PgHaDataSource ds)
    {
        await ds.EnsureCommitMarkerTableAsync();
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node3.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node2.PauseReplayAsync();
        await Node3.PauseReplayAsync();
        await Node1.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = '*'");
        await Node1.ExecuteAsync("ALTER SYSTEM SET synchronous_commit = 'remote_apply'");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");
        // pg_reload_conf() only signals the postmaster. Once a new backend sees the setting, the postmaster has
        // reloaded and signalled every backend, so the pooled ones apply it before their next command.
        var clock = Stopwatch.StartNew();
        while (await Node1.ExecuteScalarAsync<string>("SELECT current_setting('synchronous_standby_names')") != "*")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the configuration reload did not take effect");
            await Task.Delay(10);
        }

        // And through the data source's own pooled connections (the ones the write will use): an idle backend applies
        // a reload only between messages, so make sure the connection the pool hands out next already has.
        while (!await PooledConnectionHoldsCommitsAsync(ds))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the pooled connections did not pick up the configuration");
            await Task.Delay(10);
        }
    }

    private static async Task<bool> PooledConnectionHoldsCommitsAsync(PgHaDataSource ds)
    {
        await using var connection = await ds.OpenConnectionAsync(TargetRole.Primary);
        await using var command = new NpgsqlCommand("SELECT current_setting('synchronous_commit') = 'remote_apply' AND current_setting('synchronous_standby_names') = '*'", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    protected async Task WaitForCommitWaitingOnReplicationAsync(Task? write = null)
    {
        var clock = Stopwatch.StartNew();
        while (await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") == 0)
        {
            if (write is { IsCompleted: true })
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

    protected static async Task<int[]> ReadIdsAsync(PgNode node)
    {
        await using var connection = new NpgsqlConnection(node.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM ids ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<int>();
        while (await reader.ReadAsync())
            ids.Add(reader.GetInt32(0));
        return [.. ids];
    }

    protected static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int id, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES ($1)", connection, transaction);
        insert.Parameters.AddWithValue(id);
        await insert.ExecuteNonQueryAsync(ct);
    }
}
