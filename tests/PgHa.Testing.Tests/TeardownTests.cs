using System.Diagnostics;
using PgHa.Testing.Internal;

namespace PgHa.Testing.Tests;

public sealed class TeardownTests
{
    [Fact]
    public async Task Dispose_leaves_no_server_process_and_no_directory_even_with_frozen_and_killed_nodes()
    {
        var cluster = await TestClusters.StartAsync(replicas: 2);
        var root = cluster.RootDirectory;
        cluster.Nodes[1].Freeze();
        cluster.Nodes[2].Kill();
        Assert.NotEmpty(TestClusters.ProcessesMentioning(root + "/"));

        await cluster.DisposeAsync();

        Assert.Empty(TestClusters.ProcessesMentioning(root + "/"));
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task Start_sweeps_up_a_cluster_whose_process_died()
    {
        var abandoned = await TestClusters.StartAsync(replicas: 0);
        var root = abandoned.RootDirectory;
        File.WriteAllText(Path.Combine(root, ClusterDirectory.OwnerFileName), $"{await DeadPidAsync()} 1\n");

        await using (await TestClusters.StartAsync(replicas: 0))
        {
            Assert.False(Directory.Exists(root));
            Assert.Empty(TestClusters.ProcessesMentioning(root + "/"));
        }

        await abandoned.DisposeAsync();
    }

    [Fact]
    public async Task Reaper_tears_the_cluster_down_once_its_owner_process_dies()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 1);
        var root = cluster.RootDirectory;
        using var owner = Process.Start("sleep", "60");
        using var reaper = Reaper.Start(owner.Id, root, cluster.Context.Tools);

        owner.Kill();
        await owner.WaitForExitAsync();

        for (var waited = 0; waited < 100 && Directory.Exists(root); waited++)
            await Task.Delay(100);
        Assert.False(Directory.Exists(root));
        Assert.Empty(TestClusters.ProcessesMentioning(root + "/"));
        Assert.All(cluster.Nodes, n => Assert.False(n.IsRunning));
    }

    private static async Task<int> DeadPidAsync()
    {
        using var process = Process.Start("true");
        await process.WaitForExitAsync();
        return process.Id;
    }
}
