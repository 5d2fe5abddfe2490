using BenchmarkDotNet.Attributes;
using Npgsql;
using PgHa.Client;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>
/// Open a pooled connection, run <c>SELECT 1</c>, close: raw <see cref="NpgsqlDataSource"/> to a node versus
/// <see cref="PgHaDataSource"/> routing to that same node (the only replica, or the primary), on a real local cluster.
/// </summary>
[MemoryDiagnoser]
public class OpenAndQueryBenchmark
{
    private PgCluster _cluster = null!;
    private NpgsqlDataSource _rawPrimary = null!;
    private NpgsqlDataSource _rawReplica = null!;
    private PgHaDataSource _pgha = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cluster = PgCluster.StartAsync(new PgClusterOptions { Replicas = 1 }).GetAwaiter().GetResult();
        _rawPrimary = NpgsqlDataSource.Create(_cluster.Nodes[0].ConnectionString);
        _rawReplica = NpgsqlDataSource.Create(_cluster.Nodes[1].ConnectionString);
        _pgha = new PgHaDataSourceBuilder(_cluster.ConnectionString).Build();
        while (_pgha.Topology.Primary is null || !_pgha.Topology.IsDiscoveryComplete)
            _pgha.WaitForTopologyChangeAsync(_pgha.Topology.Version, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        while (_pgha.Topology.Nodes[1].ReplicaLag is null)
            _pgha.WaitForTopologyChangeAsync(_pgha.Topology.Version, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pgha.Dispose();
        _rawPrimary.Dispose();
        _rawReplica.Dispose();
        _cluster.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task<object?> RawNpgsql_Primary() => QueryAsync(_rawPrimary.OpenConnectionAsync());

    [Benchmark]
    public Task<object?> PgHa_Primary() => QueryAsync(_pgha.OpenConnectionAsync(TargetRole.Primary));

    [Benchmark]
    public Task<object?> RawNpgsql_Replica() => QueryAsync(_rawReplica.OpenConnectionAsync());

    [Benchmark]
    public Task<object?> PgHa_Replica() => QueryAsync(_pgha.OpenConnectionAsync(TargetRole.Replica));

    private static async Task<object?> QueryAsync(ValueTask<NpgsqlConnection> opening)
    {
        await using var connection = await opening;
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        return await command.ExecuteScalarAsync();
    }
}
