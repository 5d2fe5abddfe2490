using System.Collections.Concurrent;
using Npgsql;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

/// <summary>
/// A primary that stops answering without closing its sockets (SIGSTOP), and a replica promoted meanwhile. The freeze
/// is held until the work under test has finished, or far past the retry budget: work that waited on the frozen node
/// would finish only after the thaw, or give up at the budget.
/// </summary>
public sealed class FrozenPrimaryTests : WriteTestBase
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan HeldAtMost = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_commit_held_in_its_replication_wait_when_the_primary_freezes_is_looked_up_on_the_promoted_standby_before_the_thaw()
    {
        using var telemetry = new TelemetryRecorder("frozen-commit");
        var ds = DataSource(o => (o.ClusterName, o.RetryBudget) = ("frozen-commit", Budget));
        var write = await StartHeldWriteAsync(ds);
        await WaitForReceiveAsync(Node2); // node2 has the commit record: the lookup there must find it committed

        Node1.Freeze();
        await Node2.ResumeReplayAsync();
        await Node2.PromoteAsync();

        await write.Task.WaitAsync(HeldAtMost);
        Assert.True(Node1.IsRunning);
        Assert.Equal(1, write.Runs);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node2));
        Assert.Equal(1, telemetry.Sum("pgha.client.commit.in_doubt", "pgha.commit.resolution", "committed"));
    }

    [Fact]
    public async Task A_unit_in_the_middle_of_its_work_when_the_primary_freezes_runs_again_on_the_promoted_replica_before_the_thaw()
    {
        var ds = DataSource(o => o.RetryBudget = Budget);
        await WaitForDiscoveryAsync(ds);
        await CreateIdsTableAsync(ds);
        var ports = new ConcurrentQueue<int>();
        var write = ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            ports.Enqueue(await ServerPortAsync(c));
            await InsertAsync(c, t, 1, ct);
            if (ports.Count == 1)
            {
                await using var slow = new NpgsqlCommand("SELECT pg_sleep(60)", c, t);
                await slow.ExecuteNonQueryAsync(ct);
            }
        });
        await WaitForBackendAsync(Node1, "pg_sleep");

        Node1.Freeze();
        await Node2.PromoteAsync();

        await write.WaitAsync(HeldAtMost);
        Assert.Equal(new[] { Node1.Port, Node2.Port }, ports);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node2));
    }

    [Fact]
    public async Task Writes_acknowledged_around_a_frozen_primary_and_its_thaw_are_all_on_the_promoted_replica()
    {
        // Asynchronous replication: a COMMIT the frozen node answered after the thaw would be lost with it.
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await CreateIdsTableAsync(ds);
        await using var writers = Writers.Start(ds, count: 4);
        await writers.WaitForAcknowledgedAsync(20);

        Node1.Freeze();
        await Task.Delay(1200);
        await Node2.PromoteAsync();
        var beforeThaw = writers.Acknowledged.Count;
        // The new primary takes writes while node1 stays frozen (until now, none did before the thaw).
        await writers.WaitForAcknowledgedAsync(beforeThaw + 20);
        await Task.Delay(TimeSpan.FromSeconds(5));
        Node1.Thaw();
        await WaitForTopologyAsync(ds, t => NodeOf(t, Node1) is { Health: NodeHealth.Up, IsFenced: true });
        await writers.WaitForAcknowledgedAsync(writers.Acknowledged.Count + 20);
        await writers.StopAsync();

        Assert.Empty(writers.Errors);
        var onNewPrimary = (await ReadIdsAsync(Node2)).ToHashSet();
        var missing = writers.Acknowledged.Where(id => !onNewPrimary.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"acknowledged but missing on the new primary: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task A_commit_answered_by_a_primary_superseded_by_a_newer_timeline_is_not_acknowledged()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await CreateIdsTableAsync(ds);
        // node2 stops streaming from node1 (a paused standby would not act on the change), so the COMMIT below never
        // reaches it; node3 is the standby node1's COMMITs wait for.
        await Node2.ExecuteAsync("ALTER SYSTEM SET primary_conninfo = ''");
        await Node2.ExecuteAsync("SELECT pg_reload_conf()");
        await WaitUntilAsync(async () => await Node2.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_wal_receiver") == 0, TimeSpan.FromSeconds(10), "node2's WAL receiver stops");
        await HeldCommits.HoldAsync(Node1, [Node3], ds);
        // A connection PgHa did not open, so the watchdog cannot release it: only the answer check stands between
        // the deposed node's "committed" and the caller.
        await using var connection = new NpgsqlConnection(Node1.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await InsertAsync(connection, transaction, 1, CancellationToken.None);
        var commit = ds.CommitAsync(transaction);
        await WaitForCommitWaitingOnReplicationAsync(commit);

        await Node2.PromoteAsync();
        await WaitForTopologyAsync(ds, t => t.Primary?.EndPoint.Port == Node2.Port && NodeOf(t, Node1).IsFenced);
        await Node3.ResumeReplayAsync(); // node1's COMMIT gets its standby and answers success

        await Assert.ThrowsAsync<PgHaCommitNotAppliedException>(() => commit.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node1)); // committed on the deposed node only
        Assert.Empty(await ReadIdsAsync(Node2));
        Assert.Equal(1, await Node2.ExecuteScalarAsync<long>("SELECT count(*) FROM pgha.commit_markers WHERE kind = 'f'"));
    }

    private static async Task WaitForBackendAsync(PgNode node, string queryPart)
        => await WaitUntilAsync(async () => await node.ExecuteScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%{queryPart}%' AND pid <> pg_backend_pid()") > 0,
            TimeSpan.FromSeconds(10), $"a backend on {node} runs {queryPart}");
}
