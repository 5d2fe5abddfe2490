using System.Text.Json;
using System.Text.Json.Serialization;
using PgHa.Client.Topology;

namespace PgHa.Client.Tests;

/// <summary>One routing case, read from a JSON file in RoutingSpecs/: a cluster state, a request, and what must happen.</summary>
public sealed class RoutingSpec
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    public string Description { get; set; } = "";
    public SpecRequest Request { get; set; } = new();
    public List<SpecNode> Nodes { get; set; } = [];
    public int[]? Outstanding { get; set; }
    public SpecExpectation Expect { get; set; } = new();

    public sealed class SpecRequest
    {
        public TargetRole Role { get; set; } = TargetRole.Primary;
        public double MaxLagMs { get; set; } = 5000;
        public long? MaxLagBytes { get; set; }
        public ReplicaFallback Fallback { get; set; } = ReplicaFallback.Primary;
        public LoadBalancing Balancing { get; set; } = LoadBalancing.RoundRobin;
        public double LatencyWindowMs { get; set; } = 15;

        /// <summary>A consistency token's WAL position, e.g. "0/3000000": only replicas replayed up to it qualify.</summary>
        public string? MinReplayPosition { get; set; }
    }

    public sealed class SpecNode
    {
        public string Host { get; set; } = "";
        public NodeRole Role { get; set; }
        public NodeHealth Health { get; set; } = NodeHealth.Up;
        public int? Timeline { get; set; }
        public double? LagMs { get; set; }
        public long? LagBytes { get; set; }
        public double? RttMs { get; set; }
        public bool ReadOnly { get; set; }
        public bool ConfigurationFailure { get; set; }
        public string? Error { get; set; }

        /// <summary>On a replica, its replay position, e.g. "0/3000000".</summary>
        public string? WalPosition { get; set; }
    }

    public sealed class SpecExpectation
    {
        /// <summary>Selected, Wait or Fail.</summary>
        public string Outcome { get; set; } = "Selected";

        /// <summary>For Selected: exactly the hosts that repeated requests spread over.</summary>
        public List<string>? OneOf { get; set; }

        /// <summary>For Wait and Fail: fragments the explanation must contain.</summary>
        public List<string>? MessageContains { get; set; }
    }

    public override string ToString() => Description;
}
