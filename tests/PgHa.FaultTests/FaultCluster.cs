using PgHa.Testing;

namespace PgHa.FaultTests;

/// <summary>
/// The fault suite's cluster: a <see cref="NamespacedAgentCluster"/> (etcd and three real pgha-agent processes at their
/// default HA settings, each node in a network namespace of its own) in scope <c>faults</c>.
/// </summary>
internal sealed class FaultCluster : IAsyncDisposable
{
    public const string Token = "fault-token";
    private readonly NamespacedAgentCluster _cluster;

    private FaultCluster(NamespacedAgentCluster cluster) => _cluster = cluster;

    public NodeNetwork Network => _cluster.Network;

    public EtcdCluster Etcd => _cluster.Etcd;

    public IReadOnlyList<AgentNode> Nodes => _cluster.Nodes;

    /// <summary>The client's connection string: every node's address, as an application would list them.</summary>
    public string ConnectionString => _cluster.ConnectionString;

    public static async Task<FaultCluster> StartAsync(bool synchronous) => new(await NamespacedAgentCluster.StartAsync("faults", Token, synchronous));

    /// <inheritdoc cref="NamespacedAgentCluster.HealthyLeaderAsync"/>
    public Task<AgentNode?> HealthyLeaderAsync() => _cluster.HealthyLeaderAsync();

    /// <inheritdoc cref="NamespacedAgentCluster.LeaderAsync"/>
    public Task<AgentNode?> LeaderAsync() => _cluster.LeaderAsync();

    /// <inheritdoc cref="NamespacedAgentCluster.WaitForHealthyAsync"/>
    public Task<AgentNode> WaitForHealthyAsync(TimeSpan timeout, CancellationToken ct) => _cluster.WaitForHealthyAsync(timeout, ct);

    public string Logs() => _cluster.Logs();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}
