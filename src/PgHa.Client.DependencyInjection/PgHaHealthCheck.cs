using Microsoft.Extensions.Diagnostics.HealthChecks;
using PgHa.Client;
using PgHa.Client.Routing.Internal;
using PgHa.Client.Topology;

namespace PgHa.Client.DependencyInjection;

/// <summary>
/// Reports the cluster as PgHa's watchdog last saw it, without a query of its own (reading the snapshot is one
/// field read, so probes from a load balancer cost nothing): Unhealthy with no writable primary; Degraded when a
/// node is down, suspect or fenced, or when replicas are up but none is within the lag bounds (reads fall back to
/// the primary); Healthy otherwise. The description names every node with its role, health and lag.
/// </summary>
internal sealed class PgHaHealthCheck(PgHaDataSource dataSource) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var topology = dataSource.Topology;
        var options = dataSource.Options;
        var data = new Dictionary<string, object>
        {
            ["topology_version"] = topology.Version,
            ["primary"] = topology.Primary?.EndPoint.ToString() ?? "none",
        };
        foreach (var node in topology.Nodes)
            data[node.EndPoint.ToString()] = node.ToString();

        var description = topology.ToString();
        if (topology.Primary is null)
        {
            var why = topology.IsDiscoveryComplete ? "no writable primary" : "discovery still running, no primary found yet";
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"{why}: {description}", data: data));
        }

        var troubled = topology.Nodes.Where(n => n.Health is NodeHealth.Down or NodeHealth.Suspect or NodeHealth.Unknown || n.IsFenced).ToList();
        var replicasUp = topology.Nodes.Where(n => n.Role == NodeRole.Replica && n.Health == NodeHealth.Up).ToList();
        var routable = replicasUp.Count(n => ReplicaLagBound.Admits(n, options.MaxReplicaLag, options.MaxReplicaLagBytes));
        data["routable_replicas"] = routable;
        if (troubled.Count > 0)
            return Degraded($"{troubled.Count} node(s) not healthy ({string.Join(", ", troubled.Select(n => n.EndPoint))}): {description}");
        if (replicasUp.Count > 0 && routable == 0)
            return Degraded($"no replica within the lag bounds, replica reads go to the primary: {description}");
        return Task.FromResult(HealthCheckResult.Healthy(description, data));

        Task<HealthCheckResult> Degraded(string text) => Task.FromResult(HealthCheckResult.Degraded(text, data: data));
    }
}
