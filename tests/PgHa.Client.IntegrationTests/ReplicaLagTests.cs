using PgHa.Client.Topology;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

public sealed class ReplicaLagTests : ClusterTestBase
{
    [Fact]
    public async Task Replica_with_paused_replay_is_excluded_past_the_bound_and_readmitted_after_resume()
    {
        var ds = DataSource(o => o.MaxReplicaLag = TimeSpan.FromSeconds(1));
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ticks(at timestamptz)");
        using var writing = new CancellationTokenSource();
        var writer = WriteContinuouslyAsync(writing.Token);

        await Node2.PauseReplayAsync();
        // Time lag is as of now, byte lag as of the replica's last probe: wait until both show it behind.
        var excluded = await WaitForTopologyAsync(ds, t => NodeOf(t, Node2) is { IsReplayPaused: true, ReplicaLagBytes: > 0 } n && n.ReplicaLag > TimeSpan.FromSeconds(1));
        Assert.True(NodeOf(excluded, Node3).ReplicaLag < TimeSpan.FromSeconds(1), excluded.ToString());
        for (var i = 0; i < 10; i++)
            Assert.Equal(Node3.Port, await OpenAndGetPortAsync(ds, TargetRole.Replica));

        await Node2.ResumeReplayAsync();
        await WaitForTopologyAsync(ds, t => NodeOf(t, Node2).ReplicaLag <= TimeSpan.FromSeconds(1));
        var ports = new HashSet<int>();
        for (var i = 0; i < 10; i++)
            ports.Add(await OpenAndGetPortAsync(ds, TargetRole.Replica));
        Assert.Equal(new[] { Node2.Port, Node3.Port }.Order(), ports.Order());

        await writing.CancelAsync();
        await writer;
    }

    [Fact]
    public async Task Idle_primary_does_not_make_replicas_look_stale()
    {
        var ds = DataSource(o => o.MaxReplicaLag = TimeSpan.FromSeconds(1));
        await Node1.ExecuteAsync("CREATE TABLE once(x int); INSERT INTO once VALUES (1)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node3.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));

        await Task.Delay(TimeSpan.FromSeconds(3)); // idle for three times the bound

        // The naive measure calls these replicas seconds stale; they are not.
        var naive = await Node2.ExecuteScalarAsync<double>("SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8");
        Assert.True(naive > 2, $"naive lag {naive} s");
        // A background WAL record (running_xacts, a checkpoint) can put a replica a few bytes behind for a moment,
        // so wait briefly for the caught-up state; the naive measure above could never report it.
        var topology = await WaitForTopologyAsync(ds,
            t => new[] { Node2, Node3 }.All(r => NodeOf(t, r) is { ReplicaLag.Ticks: 0, ReplicaLagBytes: 0 }), TimeSpan.FromSeconds(3));
        Assert.All(new[] { Node2, Node3 }, r => Assert.Equal(NodeHealth.Up, NodeOf(topology, r).Health));

        Assert.Contains(await OpenAndGetPortAsync(ds, TargetRole.Replica), new[] { Node2.Port, Node3.Port });
    }

    private async Task WriteContinuouslyAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await Node1.ExecuteAsync("INSERT INTO ticks VALUES (now())", CancellationToken.None);
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
