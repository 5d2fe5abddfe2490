using System.Globalization;
using System.Text;
using PgHa.Client.Topology;

namespace PgHa.Client.Routing.Internal;

/// <summary>The cold path of routing: says, node by node, why nothing qualified, for exception messages.</summary>
internal static class RoutingExplainer
{
    public static string Explain(ClusterTopology topology, in RoutingRequest request, TimeSpan waited, DateTimeOffset now)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(request.Role switch
        {
            TargetRole.Primary => "No primary",
            TargetRole.Replica => string.Create(inv, $"No replica within the lag bound ({Bound(request)})"),
            _ => "No node",
        });
        if (waited >= TimeSpan.FromMilliseconds(50))
            text.Append(inv, $" after waiting {waited.TotalSeconds:0.0} s");
        text.Append(": ");

        var nodes = topology.NodeSpan;
        for (var i = 0; i < nodes.Length; i++)
        {
            if (i > 0)
                text.Append(", ");
            text.Append(nodes[i].EndPoint).Append(' ').Append(Reason(nodes[i], request, now));
        }

        return text.ToString();
    }

    private static string Bound(in RoutingRequest request)
    {
        var inv = CultureInfo.InvariantCulture;
        return request.MaxLagBytes is { } bytes
            ? string.Create(inv, $"lag ≤ {request.MaxLag.TotalSeconds:0.###} s and ≤ {bytes} B")
            : string.Create(inv, $"lag ≤ {request.MaxLag.TotalSeconds:0.###} s");
    }

    private static string Reason(NodeDescription node, in RoutingRequest request, DateTimeOffset now)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (node.Health)
        {
            case NodeHealth.Unknown:
                return "not probed yet";
            case NodeHealth.Down:
                var since = node.StateSince is { } at ? string.Create(inv, $", {(now - at).TotalSeconds:0.0} s ago") : "";
                return $"down ({node.LastError ?? "unreachable"}{since})";
        }

        if (node.IsFenced)
            return $"fenced ({node.FenceReason})";
        if (node.Role == NodeRole.Replica)
        {
            var lag = node.ReplicaLag is { } l
                ? string.Create(inv, $"lag {l.TotalSeconds:0.0##} s / {node.ReplicaLagBytes ?? 0} B")
                : "lag unknown (no primary to measure against)";
            var verdict = ReplicaLagBound.Admits(node, request.MaxLag, request.MaxLagBytes) ? "within" : "over";
            return $"replica {node.Health.ToString().ToLowerInvariant()}, {lag} ({verdict} the bound{(node.IsReplayPaused ? ", replay paused" : "")})";
        }

        return node.Describe();
    }
}
