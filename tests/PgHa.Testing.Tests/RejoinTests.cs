namespace PgHa.Testing.Tests;

public sealed class RejoinTests
{
    [Fact]
    public async Task Crashed_former_primary_is_rewound_and_follows_the_new_primary()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 1);
        var (oldPrimary, newPrimary) = (cluster.Nodes[0], cluster.Nodes[1]);
        await TestClusters.CreateTableAsync(oldPrimary);
        await newPrimary.WaitForReplayAsync(oldPrimary, TestClusters.ReplayTimeout);

        // Split brain: both accept a write the other never sees, then the old primary dies.
        await newPrimary.PromoteAsync();
        await TestClusters.InsertAsync(oldPrimary, 1, "lost");
        await TestClusters.InsertAsync(newPrimary, 2, "kept");
        oldPrimary.Kill();

        await oldPrimary.RejoinAsReplicaAsync(newPrimary);
        await TestClusters.InsertAsync(newPrimary, 3, "kept");
        await oldPrimary.WaitForReplayAsync(newPrimary, TestClusters.ReplayTimeout);

        Assert.True(await oldPrimary.ExecuteScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Equal(0, await TestClusters.CountAsync(oldPrimary, "lost"));
        Assert.Equal(2, await TestClusters.CountAsync(oldPrimary, "kept"));
        Assert.Same(newPrimary, await cluster.FindPrimaryAsync());
        Assert.Equal(0, await oldPrimary.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_replication_slots"));
    }

    [Fact]
    public async Task Running_former_primary_is_recloned_when_rewind_is_not_wanted()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 1);
        var (oldPrimary, newPrimary) = (cluster.Nodes[0], cluster.Nodes[1]);
        await TestClusters.CreateTableAsync(oldPrimary);
        await newPrimary.WaitForReplayAsync(oldPrimary, TestClusters.ReplayTimeout);
        await newPrimary.PromoteAsync();
        await TestClusters.InsertAsync(oldPrimary, 1, "lost");
        await TestClusters.InsertAsync(newPrimary, 2, "kept");

        await oldPrimary.RejoinAsReplicaAsync(newPrimary, useRewind: false);
        await oldPrimary.WaitForReplayAsync(newPrimary, TestClusters.ReplayTimeout);

        Assert.True(await oldPrimary.ExecuteScalarAsync<bool>("SELECT pg_is_in_recovery()"));
        Assert.Equal(0, await TestClusters.CountAsync(oldPrimary, "lost"));
        Assert.Equal(1, await TestClusters.CountAsync(oldPrimary, "kept"));
        Assert.Equal(newPrimary.Port, await oldPrimary.ExecuteScalarAsync<int>("SELECT sender_port FROM pg_stat_wal_receiver"));
    }
}
