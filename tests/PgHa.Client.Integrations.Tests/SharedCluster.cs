using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests;

/// <summary>One cluster for the tests that do not change it (no kills, promotions or paused replay).</summary>
public sealed class SharedCluster : IAsyncLifetime
{
    public PgCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PgCluster.StartAsync(new PgClusterOptions());

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SharedClusterCollection : ICollectionFixture<SharedCluster>
{
    public const string Name = "shared cluster";
}
