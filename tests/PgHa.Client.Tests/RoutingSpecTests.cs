using PgHa.Client.Routing.Internal;
using PgHa.Client.Topology;
using PgHa.Client.Topology.Internal;
using Xunit;

namespace PgHa.Client.Tests;

/// <summary>Runs every routing case in RoutingSpecs/*.json through the real composer (fencing) and selector.</summary>
public sealed class RoutingSpecTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> SpecFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "RoutingSpecs"), "*.json").Order())
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void There_are_routing_specs_to_run() => Assert.True(SpecFiles().Count >= 15);

    [Theory]
    [MemberData(nameof(SpecFiles))]
    public void Routing_spec(string file)
    {
        var spec = System.Text.Json.JsonSerializer.Deserialize<RoutingSpec>(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "RoutingSpecs", file)), RoutingSpec.Json)!;
        var topology = Compose(spec);
        var r = spec.Request;
        var request = new RoutingRequest(r.Role, TimeSpan.FromMilliseconds(r.MaxLagMs), r.MaxLagBytes, r.Fallback, r.Balancing, TimeSpan.FromMilliseconds(r.LatencyWindowMs),
            r.MinReplayPosition is { } floor ? (ulong)NpgsqlTypes.NpgsqlLogSequenceNumber.Parse(floor) : 0);
        var outstanding = spec.Outstanding ?? new int[spec.Nodes.Count];

        var chosen = new HashSet<string>();
        var outcomes = new HashSet<RouteOutcome>();
        for (ulong ticket = 0; ticket < (ulong)spec.Nodes.Count * 4; ticket++)
        {
            outcomes.Add(NodeSelector.Select(topology, request, outstanding, ticket, out var index));
            if (index >= 0)
                chosen.Add(spec.Nodes[index].Host);
        }

        Assert.Equal([spec.Expect.Outcome], outcomes.Select(o => o.ToString()));
        if (spec.Expect.OneOf is { } expected)
            Assert.Equal(expected.Order(), chosen.Order());
        if (spec.Expect.MessageContains is { } fragments)
        {
            var message = RoutingExplainer.Explain(topology, request, TimeSpan.Zero, Now);
            foreach (var fragment in fragments)
                Assert.Contains(fragment, message, StringComparison.Ordinal);
        }
    }

    private static ClusterTopology Compose(RoutingSpec spec)
    {
        var nodes = spec.Nodes.Select((n, i) => new NodeDescription
        {
            EndPoint = new NodeEndPoint(n.Host, 5432),
            Index = i,
            Role = n.Role,
            Health = n.Health,
            Timeline = n.Timeline,
            SystemIdentifier = 42,
            IsReadOnly = n.ReadOnly,
            ReplicaLag = n.LagMs is { } lag ? TimeSpan.FromMilliseconds(lag) : null,
            ReplicaLagBytes = n.LagBytes,
            ProbeLatency = n.RttMs is { } rtt ? TimeSpan.FromMilliseconds(rtt) : null,
            HasConfigurationFailure = n.ConfigurationFailure,
            LastError = n.Error,
            WalPosition = n.WalPosition is { } position ? NpgsqlTypes.NpgsqlLogSequenceNumber.Parse(position) : null,
            LastSeenAt = n.WalPosition is null ? null : Now, // lag is computed from positions only for nodes seen
        }).ToArray();
        var (composed, primary) = new TopologyComposer().Compose(nodes, Now);
        return new ClusterTopology(composed, primary, 1, Now, "spec");
    }
}
