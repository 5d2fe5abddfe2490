using PgHa.Testing;
using Xunit;

namespace PgHa.Client.IntegrationTests;

/// <summary>One cluster shared by tests that do not change it (no kills, promotions or pauses).</summary>
public sealed class SharedClusterFixture : IAsyncLifetime
{
    public PgCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PgCluster.StartAsync(new PgClusterOptions());

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
