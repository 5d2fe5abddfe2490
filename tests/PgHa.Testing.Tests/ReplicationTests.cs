using Npgsql;

namespace PgHa.Testing.Tests;

public sealed class ReplicationTests
{
    [Fact]
    public async Task Promoted_replica_accepts_writes()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 1);
        var (primary, replica) = (cluster.Nodes[0], cluster.Nodes[1]);
        await TestClusters.CreateTableAsync(primary);
        await replica.WaitForReplayAsync(primary, TestClusters.ReplayTimeout);
        await Assert.ThrowsAsync<PostgresException>(() => TestClusters.InsertAsync(replica, 1, "too early"));

        await replica.PromoteAsync();

        await TestClusters.InsertAsync(replica, 1, "after promotion");
        Assert.False(await replica.ExecuteScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Equal(1, await TestClusters.CountAsync(replica, "after promotion"));
    }

    [Fact]
    public async Task Find_primary_refuses_to_choose_between_two_writable_nodes()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 1);
        var (primary, replica) = (cluster.Nodes[0], cluster.Nodes[1]);
        await replica.PromoteAsync();

        var error = await Assert.ThrowsAsync<PgHarnessException>(() => cluster.FindPrimaryAsync());
        Assert.Contains("found 2", error.Message, StringComparison.Ordinal);

        primary.Kill();
        Assert.Same(replica, await cluster.FindPrimaryAsync());
    }

    [Fact]
    public async Task Paused_replay_hides_new_rows_until_resumed()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 1);
        var (primary, replica) = (cluster.Nodes[0], cluster.Nodes[1]);
        await TestClusters.CreateTableAsync(primary);
        await replica.WaitForReplayAsync(primary, TestClusters.ReplayTimeout);

        await replica.PauseReplayAsync();
        await TestClusters.InsertAsync(primary, 1, "held back");
        var received = await primary.ExecuteScalarAsync<string>("SELECT pg_current_wal_lsn()::text");
        await WaitUntilReceivedAsync(replica, received!);

        Assert.Equal(0, await TestClusters.CountAsync(replica, "held back"));

        await replica.ResumeReplayAsync();
        await replica.WaitForReplayAsync(primary, TestClusters.ReplayTimeout);
        Assert.Equal(1, await TestClusters.CountAsync(replica, "held back"));
    }

    [Fact]
    public async Task Follower_receives_rows_from_the_promoted_replica_after_the_primary_dies()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 2);
        var (oldPrimary, newPrimary, follower) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        await TestClusters.CreateTableAsync(oldPrimary);
        await newPrimary.WaitForReplayAsync(oldPrimary, TestClusters.ReplayTimeout);
        await follower.WaitForReplayAsync(oldPrimary, TestClusters.ReplayTimeout);

        oldPrimary.Kill();
        await newPrimary.PromoteAsync();
        await follower.FollowAsync(newPrimary);
        await TestClusters.InsertAsync(newPrimary, 1, "after failover");
        await follower.WaitForReplayAsync(newPrimary, TestClusters.ReplayTimeout);

        Assert.Equal(1, await TestClusters.CountAsync(follower, "after failover"));
        Assert.Equal(newPrimary.Port, await follower.ExecuteScalarAsync<int>("SELECT sender_port FROM pg_stat_wal_receiver"));
        Assert.Same(newPrimary, await cluster.FindPrimaryAsync());
    }

    // Replay lags reception; waiting for the received position proves the row arrived yet stays invisible.
    private static async Task WaitUntilReceivedAsync(PgNode replica, string lsn)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (await replica.ExecuteScalarAsync<bool>($"SELECT pg_last_wal_receive_lsn() >= '{lsn}'::pg_lsn"))
                return;
            await Task.Delay(50);
        }

        Assert.Fail($"{replica} never received WAL up to {lsn}.");
    }
}
