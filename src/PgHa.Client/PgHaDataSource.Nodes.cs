using PgHa.Client.Internal;
using PgHa.Client.Resilience.Internal;
using PgHa.Client.Topology;
using PgHa.Client.Topology.Internal;

namespace PgHa.Client;

/// <summary>What units of work and EF Core ask the data source about its nodes: their state, their failures, their losses.</summary>
public sealed partial class PgHaDataSource
{
    /// <summary>The node's latest description, if it is one of ours.</summary>
    internal Topology.NodeDescription? Describe(Topology.NodeEndPoint node)
        => IndexOf(node) is var index and >= 0 ? _monitor.Current.NodeSpan[index] : null;

    /// <summary>Whether the latest snapshot shows <paramref name="node"/> as the writable primary.</summary>
    internal bool IsWritablePrimary(Topology.NodeEndPoint node)
        => _monitor.Current.PrimaryIndex is var primary and >= 0 && primary == IndexOf(node);

    /// <summary>The node's current loss generation (see <see cref="ClusterNode.Loss"/>), if it is one of ours.</summary>
    internal CancellationTokenSource? LossOf(Topology.NodeEndPoint node)
        => IndexOf(node) is var index and >= 0 ? _nodes[index].Loss : null;

    /// <summary>
    /// After a COMMIT answered by <paramref name="node"/>: whether its answer may be trusted, that is whether the
    /// topology still shows the node as the primary (an unfenced primary that answers probes, with no other primary).
    /// While the topology is undecided (the node suspect after one slow probe, say) it waits for the watchdog to
    /// decide, within the unit's budget.
    /// </summary>
    internal async ValueTask<bool> StaysWritablePrimaryAsync(Topology.NodeEndPoint node, UnitState state, CancellationToken cancellationToken)
    {
        var index = IndexOf(node);
        while (true)
        {
            var topology = _monitor.Current;
            if (index < 0 || topology.PrimaryIndex == index)
                return true;
            var described = topology.NodeSpan[index];
            if (topology.PrimaryIndex >= 0 || described.IsLost || described.Role == NodeRole.Replica)
                return false;
            if (described is { Role: NodeRole.Primary, Health: NodeHealth.Up })
                return true; // a primary turned read-only: still the same history
            if (state.Remaining <= TimeSpan.Zero)
                return false;
            state.BeginWait();
            try
            {
                await _monitor.WaitForChangeAsync(topology.Version, state.Remaining, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                state.EndWait();
            }
        }
    }

    /// <summary>
    /// A request failed on this node: the watchdog re-probes it now (the failure is evidence, not a verdict). The
    /// mark returned tells a retry which snapshot accounts for the failure (<see cref="WaitUntilAccountedForAsync"/>).
    /// </summary>
    internal NodeFailureMark ReportNodeFailure(Topology.NodeEndPoint node, Exception exception)
    {
        var index = IndexOf(node);
        if (index < 0)
            return NodeFailureMark.None;
        // Read before the probe is asked for: a probe that ends after this counts as one made since the failure.
        var topology = _monitor.Current;
        _monitor.ReportFailure(index, exception);
        return new NodeFailureMark(index, topology.NodeSpan[index].ProbeCount, topology.PrimaryIndex);
    }

    /// <summary>Waits, at most <paramref name="maxWait"/>, for a snapshot that accounts for <paramref name="failure"/>.</summary>
    internal Task WaitUntilAccountedForAsync(NodeFailureMark failure, TimeSpan maxWait, CancellationToken cancellationToken)
        => failure.IsNone ? Task.CompletedTask : _monitor.WaitUntilAccountedForAsync(failure, maxWait, cancellationToken);

    private int IndexOf(Topology.NodeEndPoint node)
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            if (_nodes[i].EndPoint.Port == node.Port && string.Equals(_nodes[i].EndPoint.Host, node.Host, StringComparison.OrdinalIgnoreCase))
                return i;
        }

        return -1;
    }
}
