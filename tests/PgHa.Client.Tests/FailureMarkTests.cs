using PgHa.Client.Topology;
using PgHa.Client.Topology.Internal;
using Xunit;

namespace PgHa.Client.Tests;

/// <summary>Which snapshot a retry may route on after a request failed on a node.</summary>
public sealed class FailureMarkTests
{
    private static NodeDescription Node(int index, NodeRole role, NodeHealth health = NodeHealth.Up, long probes = 10, bool fenced = false)
        => new() { EndPoint = new($"n{index}", 5432), Index = index, Role = role, Health = health, ProbeCount = probes, IsFenced = fenced };

    private static ClusterTopology Topology(int primary, params NodeDescription[] nodes) => new(nodes, primary, 1, DateTimeOffset.UnixEpoch, "test");

    private static readonly NodeFailureMark FailedOnPrimary = new(Index: 0, ProbeCount: 10, PrimaryIndex: 0);

    [Fact]
    public void A_snapshot_that_has_not_probed_the_node_since_does_not_account_for_the_failure()
        => Assert.False(FailedOnPrimary.IsAccountedFor(Topology(0, Node(0, NodeRole.Primary), Node(1, NodeRole.Replica, probes: 99))));

    [Fact]
    public void A_probe_of_the_node_since_accounts_for_it_whatever_it_found()
        => Assert.True(FailedOnPrimary.IsAccountedFor(Topology(0, Node(0, NodeRole.Primary, probes: 11), Node(1, NodeRole.Replica))));

    [Theory]
    [InlineData(NodeHealth.Suspect, false)]
    [InlineData(NodeHealth.Down, false)]
    [InlineData(NodeHealth.Up, true)]
    public void A_node_no_longer_trusted_accounts_for_it(NodeHealth health, bool fenced)
        => Assert.True(FailedOnPrimary.IsAccountedFor(Topology(-1, Node(0, NodeRole.Primary, health, fenced: fenced), Node(1, NodeRole.Replica))));

    [Fact]
    public void Another_writable_primary_accounts_for_a_failure_on_the_old_one()
        => Assert.True(FailedOnPrimary.IsAccountedFor(Topology(1, Node(0, NodeRole.Primary), Node(1, NodeRole.Primary))));

    [Fact]
    public void The_same_primary_does_not_account_for_a_failure_on_a_replica()
    {
        var failedOnReplica = new NodeFailureMark(Index: 1, ProbeCount: 10, PrimaryIndex: 0);
        Assert.False(failedOnReplica.IsAccountedFor(Topology(0, Node(0, NodeRole.Primary, probes: 50), Node(1, NodeRole.Replica))));
    }

    [Fact]
    public void No_mark_needs_no_snapshot()
        => Assert.True(NodeFailureMark.None.IsAccountedFor(Topology(-1, Node(0, NodeRole.Primary, NodeHealth.Unknown))));
}
