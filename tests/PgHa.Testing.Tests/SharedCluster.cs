namespace PgHa.Testing.Tests;

/// <summary>One 1+2 cluster for the tests of a class that only look at it and do not break it.</summary>
public sealed class SharedCluster : IAsyncLifetime
{
    public PgCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestClusters.StartAsync(replicas: 2);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
