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
        await CreateIdsTableAsync(ds);
        await HeldCommits.HoldAsync(Node1, [Node2, Node3], ds);
    }

    /// <summary>Creates the commit-marker table and <c>ids</c> on node1 and waits until both replicas have them.</summary>
    protected async Task CreateIdsTableAsync(PgHaDataSource ds)
    {
        await ds.EnsureCommitMarkerTableAsync();
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node3.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
    }

    /// <summary>Lets held COMMITs finish: replay resumes on both replicas.</summary>
    protected async Task ReleaseHeldCommitsAsync()
    {
        await Node2.ResumeReplayAsync();
        await Node3.ResumeReplayAsync();
    }

    protected Task WaitForCommitWaitingOnReplicationAsync(Task? write = null) => HeldCommits.WaitForCommitWaitingOnReplicationAsync(Node1, write);

    protected Task WaitForCommitsWaitingOnReplicationAsync(params Task[] writes) => HeldCommits.WaitForCommitWaitingOnReplicationAsync(Node1, writes.Length, writes);

    protected Task WaitForReceiveAsync(PgNode replica) => HeldCommits.WaitForReceiveAsync(Node1, replica);

    /// <summary>Starts a write of id 1 that counts its runs, and returns once its COMMIT hangs in the replication wait.</summary>
    protected async Task<HeldWrite> StartHeldWriteAsync(PgHaDataSource ds, Func<Task>? beforeWrite = null)
    {
        await ClusterHelpers.WaitForDiscoveryAsync(ds);
        await HoldCommitsAsync(ds);
        if (beforeWrite is not null)
            await beforeWrite();
        var held = new HeldWrite();
        held.Task = ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            Interlocked.Increment(ref held.Runs);
            await InsertAsync(c, t, 1, ct);
        });
        await WaitForCommitWaitingOnReplicationAsync(held.Task);
        return held;
    }

    /// <summary>The process id of the backend whose COMMIT waits for replication on node1.</summary>
    protected async Task<int> HeldCommitterAsync() => await Node1.ExecuteScalarAsync<int>("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep' LIMIT 1");

    protected static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int id, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES ($1)", connection, transaction);
        insert.Parameters.AddWithValue(id);
        await insert.ExecuteNonQueryAsync(ct);
    }

    protected sealed class HeldWrite
    {
        public int Runs;
        public Task Task = Task.CompletedTask;
    }
}
