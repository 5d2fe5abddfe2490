using Microsoft.EntityFrameworkCore.Diagnostics;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>A cluster of its own for each test that kills, promotes or pauses nodes, with the schema in place.</summary>
public abstract class EfClusterTestBase : IAsyncLifetime
{
    protected PgCluster Cluster { get; private set; } = null!;

    protected PgHaDataSource DataSource { get; private set; } = null!;

    protected PgNode Node1 => Cluster.Nodes[0];

    protected PgNode Node2 => Cluster.Nodes[1];

    protected PgNode Node3 => Cluster.Nodes[2];

    protected virtual void Configure(PgHaOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        Cluster = await PgCluster.StartAsync(new PgClusterOptions());
        var builder = new PgHaDataSourceBuilder(Cluster.ConnectionString);
        Configure(builder.Options);
        DataSource = builder.Build();
        await EfTest.PrepareAsync(Cluster, DataSource);
    }

    public async Task DisposeAsync()
    {
        if (DataSource is not null)
            await DataSource.DisposeAsync();
        foreach (var node in Cluster.Nodes)
            node.Thaw();
        await Cluster.DisposeAsync();
    }

    protected OrdersContext NewContext(params IInterceptor[] interceptors) => new(EfTest.Options(DataSource, session: null, interceptors));
}
