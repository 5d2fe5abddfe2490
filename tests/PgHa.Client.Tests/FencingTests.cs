using PgHa.Client.Topology;
using PgHa.Client.Topology.Internal;
using Xunit;

namespace PgHa.Client.Tests;

public sealed class FencingTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static NodeDescription Node(int index, NodeRole role, int timeline, NodeHealth health = NodeHealth.Up, long system = 7)
        => new() { EndPoint = new($"n{index}", 5432), Index = index, Role = role, Timeline = timeline, Health = health, SystemIdentifier = system };

    [Fact]
    public void Old_primary_stays_fenced_after_the_newer_primary_goes_down()
    {
        var composer = new TopologyComposer();
        composer.Compose([Node(0, NodeRole.Primary, 1, NodeHealth.Down), Node(1, NodeRole.Primary, 2)], Now);

        var (nodes, primary) = composer.Compose([Node(0, NodeRole.Primary, 1), Node(1, NodeRole.Primary, 2, NodeHealth.Down)], Now);

        Assert.True(nodes[0].IsFenced);
        Assert.Contains("timeline 1 is older than timeline 2", nodes[0].FenceReason, StringComparison.Ordinal);
        Assert.Equal(-1, primary);
    }

    [Fact]
    public void Primaries_of_different_clusters_do_not_fence_each_other()
    {
        var (nodes, _) = new TopologyComposer().Compose([Node(0, NodeRole.Primary, 1, system: 1), Node(1, NodeRole.Primary, 5, system: 2)], Now);
        Assert.False(nodes[0].IsFenced);
    }

    [Fact]
    public void Promoted_replica_becomes_the_primary_once_the_old_one_is_down()
    {
        var composer = new TopologyComposer();
        composer.Compose([Node(0, NodeRole.Primary, 1), Node(1, NodeRole.Replica, 1)], Now);

        var (nodes, primary) = composer.Compose([Node(0, NodeRole.Primary, 1, NodeHealth.Down), Node(1, NodeRole.Primary, 2)], Now);

        Assert.Equal(1, primary);
        Assert.False(nodes[1].IsFenced);
    }
}
