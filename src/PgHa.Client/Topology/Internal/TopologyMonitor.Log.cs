using Microsoft.Extensions.Logging;
using PgHa.Client.Routing.Internal;

namespace PgHa.Client.Topology.Internal;

internal sealed partial class TopologyMonitor
{
    private void LogNodeChanges(NodeDescription before, NodeDescription after)
    {
        var node = after.EndPoint.ToString();
        if (before.Role != after.Role && after.Role != NodeRole.Unknown)
            LogRoleChanged(_logger, node, after.Role, before.Role);
        if (before.Health != NodeHealth.Down && after.Health == NodeHealth.Down)
            LogNodeDown(_logger, node, after.LastError);
        else if (before.Health is NodeHealth.Down or NodeHealth.Suspect && after.Health == NodeHealth.Up)
            LogNodeUp(_logger, node);
        if (!before.IsFenced && after.IsFenced)
            LogNodeFenced(_logger, node, after.FenceReason);

        if (after.Role == NodeRole.Replica && after.Health == NodeHealth.Up)
        {
            var wasIn = before.Role == NodeRole.Replica && before.Health == NodeHealth.Up && ReplicaLagBound.Admits(before, _options.MaxReplicaLag, _options.MaxReplicaLagBytes);
            var isIn = ReplicaLagBound.Admits(after, _options.MaxReplicaLag, _options.MaxReplicaLagBytes);
            if (wasIn && !isIn)
                LogReplicaExcluded(_logger, node, after.ReplicaLag?.TotalSeconds, after.ReplicaLagBytes);
            else if (!wasIn && isIn && before.Role == NodeRole.Replica)
                LogReplicaReadmitted(_logger, node, after.ReplicaLag?.TotalSeconds);
        }
    }

    private void LogPrimaryChange(ClusterTopology previous, ClusterTopology next)
    {
        if (previous.PrimaryIndex == next.PrimaryIndex)
            return;
        if (next.Primary is { } primary)
            LogPrimaryElected(_logger, primary.EndPoint.ToString(), primary.Timeline, next.Cause);
        else if (previous.PrimaryIndex >= 0)
            LogNoPrimary(_logger, next);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Debug, Message = "Probed {Node}: {Role}, {RoundTripMs:0.0} ms")]
    private static partial void LogProbe(ILogger logger, string node, string role, double roundTripMs);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Node {Node} is now {Role} (was {PreviousRole})")]
    private static partial void LogRoleChanged(ILogger logger, string node, NodeRole role, NodeRole previousRole);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Node {Node} is down: {Reason}")]
    private static partial void LogNodeDown(ILogger logger, string node, string? reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Node {Node} is up")]
    private static partial void LogNodeUp(ILogger logger, string node);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Node {Node} is fenced and will not be routed to: {Reason}")]
    private static partial void LogNodeFenced(ILogger logger, string node, string? reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Primary is {Node} on timeline {Timeline} ({Cause})")]
    private static partial void LogPrimaryElected(ILogger logger, string node, int? timeline, string cause);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "No primary: {Topology}")]
    private static partial void LogNoPrimary(ILogger logger, ClusterTopology topology);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Replica {Node} excluded from reads: lag {LagSeconds} s / {LagBytes} B is over the bound")]
    private static partial void LogReplicaExcluded(ILogger logger, string node, double? lagSeconds, long? lagBytes);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Replica {Node} readmitted for reads: lag {LagSeconds} s")]
    private static partial void LogReplicaReadmitted(ILogger logger, string node, double? lagSeconds);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Node {Node} is lost ({Reason}): released {Count} connection(s) in flight on it")]
    private static partial void LogReleased(ILogger logger, string node, string reason, int count);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Error, Message = "A TopologyChanged handler threw")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);
}
