using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>Building contexts over a cluster and asking where their queries ran.</summary>
internal static class EfTest
{
    public static DbContextOptions<OrdersContext> Options(PgHaDataSource dataSource, PgHaSession? session = null, params IInterceptor[] interceptors)
    {
        var builder = new DbContextOptionsBuilder<OrdersContext>().UsePgHa(dataSource, session: session);
        if (interceptors.Length > 0)
            builder.AddInterceptors(interceptors);
        return builder.Options;
    }

    /// <summary>Waits for discovery, creates the schema and the commit-marker table, and waits until both replicas have them.</summary>
    public static async Task PrepareAsync(PgCluster cluster, PgHaDataSource dataSource)
    {
        await WaitForTopologyAsync(dataSource, t => t.IsDiscoveryComplete && t.Primary is not null
            && t.Nodes.Where(n => n.Role == NodeRole.Replica).All(n => n.ReplicaLag is not null));
        await using (var db = new OrdersContext(Options(dataSource)))
            await db.Database.EnsureCreatedAsync();
        await dataSource.EnsureCommitMarkerTableAsync();
        foreach (var replica in cluster.Nodes.Skip(1))
            await replica.WaitForReplayAsync(cluster.Nodes[0], TimeSpan.FromSeconds(10));
    }

    public static async Task<ClusterTopology> WaitForTopologyAsync(PgHaDataSource dataSource, Func<ClusterTopology, bool> condition, TimeSpan? timeout = null)
    {
        var elapsed = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        while (true)
        {
            var topology = dataSource.Topology;
            if (condition(topology))
                return topology;
            var remaining = limit - elapsed.Elapsed;
            Assert.True(remaining > TimeSpan.Zero, $"Topology condition not met within {limit}: {topology}");
            await dataSource.WaitForTopologyChangeAsync(topology.Version, remaining);
        }
    }

    /// <summary>The port of the server the context's next query runs on, asked of that server.</summary>
    public static Task<int> ServerPortAsync(DbContext db)
        => db.Database.SqlQueryRaw<int>("SELECT inet_server_port() AS \"Value\"").SingleAsync();

    public static int ServerPort(DbContext db)
        => db.Database.SqlQueryRaw<int>("SELECT inet_server_port() AS \"Value\"").Single();

    public static Task<long> CountOrdersAsync(PgNode node, string text)
        => node.ExecuteScalarAsync<long>($"SELECT count(*) FROM orders WHERE text = '{text}'");

    public static string UniqueText(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
