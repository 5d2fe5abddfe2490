using PgHa.Client.Routing.Internal;
using PgHa.Client.Topology;
using Xunit;

namespace PgHa.Client.Tests;

public sealed class BalancingFairnessTests
{
    private static ClusterTopology Cluster(params NodeHealth[] replicaHealth)
    {
        var nodes = new List<NodeDescription> { new() { EndPoint = new("p", 1), Index = 0, Role = NodeRole.Primary, Health = NodeHealth.Up } };
        for (var i = 0; i < replicaHealth.Length; i++)
        {
            nodes.Add(new() { EndPoint = new($"r{i}", 1), Index = i + 1, Role = NodeRole.Replica, Health = replicaHealth[i], ReplicaLag = TimeSpan.Zero, ReplicaLagBytes = 0 });
        }

        return new ClusterTopology([.. nodes], 0, 1, DateTimeOffset.UnixEpoch, "test");
    }

    [Theory]
    [InlineData(LoadBalancing.RoundRobin)]
    [InlineData(LoadBalancing.LeastOutstanding)]
    [InlineData(LoadBalancing.LatencyAware)]
    public void Each_healthy_replica_gets_its_share_when_one_is_down(LoadBalancing balancing)
    {
        var topology = Cluster(NodeHealth.Up, NodeHealth.Down, NodeHealth.Up, NodeHealth.Up);
        var request = new RoutingRequest(TargetRole.Replica, TimeSpan.FromSeconds(5), null, ReplicaFallback.Primary, balancing, TimeSpan.FromMilliseconds(15));
        var counts = new int[5];
        var outstanding = new int[5];

        for (ulong ticket = 1; ticket <= 10_000; ticket++)
        {
            Assert.Equal(RouteOutcome.Selected, NodeSelector.Select(topology, request, outstanding, ticket, out var index));
            counts[index]++;
        }

        Assert.Equal(0, counts[0]);
        Assert.Equal(0, counts[2]);
        foreach (var healthy in new[] { 1, 3, 4 })
            Assert.InRange(counts[healthy] / 10_000.0, 1 / 3.0 * 0.95, 1 / 3.0 * 1.05);
    }

    [Fact]
    public void Routing_decision_allocates_nothing()
    {
        var topology = Cluster(NodeHealth.Up, NodeHealth.Up);
        var request = new RoutingRequest(TargetRole.Replica, TimeSpan.FromSeconds(5), null, ReplicaFallback.Primary, LoadBalancing.RoundRobin, TimeSpan.Zero);
        var outstanding = new int[3];
        NodeSelector.Select(topology, request, outstanding, 0, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong ticket = 0; ticket < 1000; ticket++)
            NodeSelector.Select(topology, request, outstanding, ticket, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
