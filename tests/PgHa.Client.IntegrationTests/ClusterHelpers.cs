using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.IntegrationTests;

/// <summary>Waiting on topology snapshots or on a server's state, and asking a connection where it landed.</summary>
internal static class ClusterHelpers
{
    public static async Task<ClusterTopology> WaitForTopologyAsync(PgHaDataSource ds, Func<ClusterTopology, bool> condition, TimeSpan? timeout = null)
    {
        var elapsed = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        while (true)
        {
            var topology = ds.Topology;
            if (condition(topology))
                return topology;
            var remaining = limit - elapsed.Elapsed;
            Assert.True(remaining > TimeSpan.Zero, $"Topology condition not met within {limit}: {topology}");
            await ds.WaitForTopologyChangeAsync(topology.Version, remaining);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <paramref name="timeout"/>, saying what was awaited.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < timeout, $"Not within {timeout}: {what}");
            await Task.Delay(50);
        }
    }

    public static Task<ClusterTopology> WaitForDiscoveryAsync(PgHaDataSource ds)
        => WaitForTopologyAsync(ds, t => t.IsDiscoveryComplete && t.Primary is not null
                                        && t.Nodes.Where(n => n.Role == NodeRole.Replica).All(n => n.ReplicaLag is not null));

    public static NodeDescription NodeOf(ClusterTopology topology, PgNode node)
        => topology.Nodes.Single(n => n.EndPoint.Port == node.Port);

    public static async Task<int> ServerPortAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT inet_server_port()", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The ids in <c>ids</c> on <paramref name="node"/>, in order, read directly from it.</summary>
    public static async Task<int[]> ReadIdsAsync(PgNode node)
    {
        await using var connection = new NpgsqlConnection(node.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM ids ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<int>();
        while (await reader.ReadAsync())
            ids.Add(reader.GetInt32(0));
        return [.. ids];
    }

    public static async Task<int> OpenAndGetPortAsync(PgHaDataSource ds, TargetRole role)
    {
        await using var connection = await ds.OpenConnectionAsync(role);
        return await ServerPortAsync(connection);
    }

    /// <summary>Collects, from now on, every published change after which there is no writable primary.</summary>
    public static ConcurrentQueue<TopologyChangedEventArgs> CountSnapshotsWithoutPrimary(PgHaDataSource ds)
    {
        var seen = new ConcurrentQueue<TopologyChangedEventArgs>();
        ds.TopologyChanged += (_, e) =>
        {
            if (e.Current.Primary is null)
                seen.Enqueue(e);
        };
        return seen;
    }
}
