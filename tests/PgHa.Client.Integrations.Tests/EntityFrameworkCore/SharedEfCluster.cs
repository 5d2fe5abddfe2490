using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>One cluster, data source and schema for the EF tests that change nothing but rows.</summary>
public sealed class SharedEfCluster : IAsyncLifetime
{
    public PgCluster Cluster { get; private set; } = null!;

    public PgHaDataSource DataSource { get; private set; } = null!;

    public PgNode Primary => Cluster.Nodes[0];

    public int[] ReplicaPorts => [Cluster.Nodes[1].Port, Cluster.Nodes[2].Port];

    public async Task InitializeAsync()
    {
        Cluster = await PgCluster.StartAsync(new PgClusterOptions());
        DataSource = new PgHaDataSourceBuilder(Cluster.ConnectionString).Build();
        await EfTest.PrepareAsync(Cluster, DataSource);
    }

    public async Task DisposeAsync()
    {
        if (DataSource is not null)
            await DataSource.DisposeAsync();
        await Cluster.DisposeAsync();
    }

    public OrdersContext NewContext(PgHaSession? session = null) => new(EfTest.Options(DataSource, session));

    public Task WaitForReplicasAsync() => Task.WhenAll(Cluster.Nodes.Skip(1).Select(r => r.WaitForReplayAsync(Primary, TimeSpan.FromSeconds(10))));
}
