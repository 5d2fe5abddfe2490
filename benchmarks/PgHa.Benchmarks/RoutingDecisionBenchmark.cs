using BenchmarkDotNet.Attributes;
using PgHa.Client;
using PgHa.Client.Routing.Internal;
using PgHa.Client.Topology;

namespace PgHa.Benchmarks;

/// <summary>The routing decision alone, on a 1 primary + 2 replica snapshot: must allocate nothing.</summary>
[MemoryDiagnoser]
public class RoutingDecisionBenchmark
{
    private readonly int[] _outstanding = new int[3];
    private ClusterTopology _topology = null!;
    private ulong _ticket;

    [Params(TargetRole.Primary, TargetRole.Replica)]
    public TargetRole Role { get; set; }

    [Params(LoadBalancing.RoundRobin, LoadBalancing.LeastOutstanding, LoadBalancing.LatencyAware)]
    public LoadBalancing Balancing { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        NodeDescription Node(int i, NodeRole role) => new()
        {
            EndPoint = new("127.0.0.1", 5432 + i), Index = i, Role = role, Health = NodeHealth.Up, Timeline = 1,
            ReplicaLag = role == NodeRole.Replica ? TimeSpan.FromMilliseconds(10 * i) : null, ReplicaLagBytes = 0,
            ProbeLatency = TimeSpan.FromMilliseconds(0.2 * (i + 1)),
        };
        _topology = new ClusterTopology([Node(0, NodeRole.Primary), Node(1, NodeRole.Replica), Node(2, NodeRole.Replica)], 0, 1, DateTimeOffset.UnixEpoch, "bench");
    }

    [Benchmark]
    public int Select()
    {
        var request = new RoutingRequest(Role, TimeSpan.FromSeconds(5), 16 << 20, ReplicaFallback.Primary, Balancing, TimeSpan.FromMilliseconds(15));
        NodeSelector.Select(_topology, request, _outstanding, ++_ticket, out var index);
        return index;
    }
}
