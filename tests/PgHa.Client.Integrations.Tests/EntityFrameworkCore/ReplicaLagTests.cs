using Microsoft.EntityFrameworkCore;
using PgHa.Client.Topology;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>Scope reads respect the staleness bound: a replica whose replay is paused past it gets none.</summary>
public sealed class ReplicaLagTests : EfClusterTestBase
{
    protected override void Configure(PgHaOptions options) => options.MaxReplicaLag = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Scope_reads_avoid_a_replica_lagging_past_the_bound_and_fall_back_to_the_primary_when_all_do()
    {
        using var writing = new CancellationTokenSource();
        var writer = WriteContinuouslyAsync(writing.Token);
        await using var db = NewContext();

        await Node2.PauseReplayAsync();
        await EfTest.WaitForTopologyAsync(DataSource, t => Lagging(t, Node2.Port));
        using (db.ReadFromReplica())
        {
            for (var i = 0; i < 6; i++)
                Assert.Equal(Node3.Port, await EfTest.ServerPortAsync(db));
        }

        await Node3.PauseReplayAsync();
        await EfTest.WaitForTopologyAsync(DataSource, t => Lagging(t, Node3.Port));
        using (db.ReadFromReplica())
            Assert.Equal(Node1.Port, await EfTest.ServerPortAsync(db)); // ReplicaFallback.Primary, the default

        await writing.CancelAsync();
        await writer;
    }

    private static bool Lagging(ClusterTopology topology, int port)
        => topology.Nodes.Single(n => n.EndPoint.Port == port) is { IsReplayPaused: true, ReplicaLagBytes: > 0 } node && node.ReplicaLag > TimeSpan.FromSeconds(1);

    private async Task WriteContinuouslyAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await Node1.ExecuteAsync("INSERT INTO orders(text) VALUES ('tick')", CancellationToken.None);
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
