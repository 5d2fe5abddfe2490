using PgHa.Client.IntegrationTests;
using PgHa.Client.Topology;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.Integrations.Tests.Telemetry;

public sealed class FailoverTelemetryTests : OwnClusterTest
{
    private const string ClusterName = "failover-telemetry";

    [Fact]
    public async Task A_real_failover_shows_in_the_gauges_the_histogram_the_span_and_the_routing_counters()
    {
        using var telemetry = new TelemetryRecorder(ClusterName);
        var builder = new PgHaDataSourceBuilder(Cluster.ConnectionString);
        builder.Options.ClusterName = ClusterName;
        await using var dataSource = builder.Build();
        await WaitForDiscoveryAsync(dataSource);
        await WaitForTopologyAsync(dataSource, t => t.Nodes.Count(n => n is { Role: NodeRole.Replica, ReplicaLag: not null, ReplicaLagBytes: not null }) == 2);

        telemetry.ObserveGauges();
        var up = Latest(telemetry, "pgha.client.node.up");
        Assert.Equal((1.0, "primary"), (up[Node1.Endpoint].Value, up[Node1.Endpoint].Role));
        Assert.Equal((1.0, "replica"), (up[Node2.Endpoint].Value, up[Node2.Endpoint].Role));
        var lag = Latest(telemetry, "pgha.client.replica.lag");
        Assert.Equal(new[] { Node2.Endpoint, Node3.Endpoint }.Order(), lag.Keys.Order());
        Assert.All(lag.Values, l => Assert.InRange(l.Value, 0, 5));
        Assert.Equal(2, telemetry.Measurements.Where(m => m.Instrument == "pgha.client.replica.lag_bytes").Select(m => m.Tags["pgha.node"]).Distinct().Count());

        Assert.Contains(await OpenAndGetPortAsync(dataSource, TargetRole.Replica), new[] { Node2.Port, Node3.Port });
        Assert.Equal(1, telemetry.Sum("pgha.client.connections.routed", "pgha.route.node_role", "replica"));

        Node1.Kill();
        await WaitForTopologyAsync(dataSource, t => t.Primary is null);
        await Node2.PromoteAsync(wait: true);
        await WaitForTopologyAsync(dataSource, t => t.Primary?.EndPoint.Port == Node2.Port, TimeSpan.FromSeconds(10));

        var failover = Assert.Single(telemetry.Numbers, m => m.Instrument == "pgha.client.failover.duration");
        Assert.Equal("promoted", failover.Tags["pgha.failover.outcome"]);
        Assert.InRange(failover.Value, 0.01, 30);
        var span = Assert.Single(telemetry.Activities, a => a.OperationName == "pgha.failover");
        Assert.Equal(Node1.Endpoint, span.GetTagItem("pgha.failover.old_primary"));
        Assert.Equal(Node2.Endpoint, span.GetTagItem("pgha.failover.new_primary"));
        Assert.Null(span.Parent);
        Assert.InRange(span.Duration.TotalSeconds, failover.Value * 0.5, failover.Value + 1);

        telemetry.ObserveGauges();
        up = Latest(telemetry, "pgha.client.node.up");
        Assert.Equal(0.0, up[Node1.Endpoint].Value);
        Assert.Equal((1.0, "primary"), (up[Node2.Endpoint].Value, up[Node2.Endpoint].Role));

        // With the only other replica gone too, a replica read is served by the primary: a fallback.
        Node3.Kill();
        await WaitForTopologyAsync(dataSource, t => NodeOf(t, Node3).Health == NodeHealth.Down);
        Assert.Equal(Node2.Port, await OpenAndGetPortAsync(dataSource, TargetRole.Replica));
        Assert.Equal(1, telemetry.Sum("pgha.client.routing.fallbacks", "pgha.route.requested", "replica"));
        Assert.Equal(1, telemetry.Sum("pgha.client.connections.routed", "pgha.route.outcome", "fallback"));
    }

    /// <summary>The last value each node reported for a gauge, with the node's role tag.</summary>
    private static Dictionary<string, (double Value, string Role)> Latest(TelemetryRecorder telemetry, string instrument)
    {
        var latest = new Dictionary<string, (double, string)>();
        foreach (var m in telemetry.Numbers.Where(m => m.Instrument == instrument))
            latest[(string)m.Tags["pgha.node"]!] = (m.Value, (string)m.Tags["pgha.node.role"]!);
        return latest;
    }
}
