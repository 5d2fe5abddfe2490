using PgHa.Testing;
using Xunit;

namespace PgHa.Client.IntegrationTests;

/// <summary>A real 1 primary + 2 replica cluster per test class instance, torn down after the test.
/// Timing assertions here are about correctness and generous; tight numbers live in benchmarks/.</summary>
public abstract class ClusterTestBase : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    protected PgCluster Cluster { get; private set; } = null!;

    protected PgNode Node1 => Cluster.Nodes[0];

    protected PgNode Node2 => Cluster.Nodes[1];

    protected PgNode Node3 => Cluster.Nodes[2];

    protected virtual PgClusterOptions ClusterOptions => new();

    public virtual async Task InitializeAsync() => Cluster = await PgCluster.StartAsync(ClusterOptions);

    public virtual async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
            await owned.DisposeAsync();
        foreach (var node in Cluster.Nodes)
            node.Thaw();
        await Cluster.DisposeAsync();
    }

    protected PgHaDataSource DataSource(Action<PgHaOptions>? configure = null, string? connectionString = null)
    {
        var builder = new PgHaDataSourceBuilder(connectionString ?? Cluster.ConnectionString);
        configure?.Invoke(builder.Options);
        var dataSource = builder.Build();
        _owned.Add(dataSource);
        return dataSource;
    }
}
