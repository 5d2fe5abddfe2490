using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests;

/// <summary>A cluster of its own for each test that kills, promotes or pauses nodes; torn down after the test.</summary>
public abstract class OwnClusterTest : IAsyncLifetime
{
    protected PgCluster Cluster { get; private set; } = null!;

    protected PgNode Node1 => Cluster.Nodes[0];

    protected PgNode Node2 => Cluster.Nodes[1];

    protected PgNode Node3 => Cluster.Nodes[2];

    public async Task InitializeAsync() => Cluster = await PgCluster.StartAsync(new PgClusterOptions());

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds; the last value is in the failure message.</summary>
    protected static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Condition not met in time; last value: {value}");
            await Task.Delay(100);
        }
    }
}
