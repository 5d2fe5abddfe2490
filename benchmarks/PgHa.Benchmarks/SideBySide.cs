using System.Text;
using Npgsql;
using PgHa.Client;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>Open + <c>SELECT 1</c> + close, raw Npgsql versus PgHa routing to the same node, in paired rounds.</summary>
internal static class SideBySide
{
    public static async Task<string> RunAsync(int[] clientCounts)
    {
        await using var cluster = await PgCluster.StartAsync(new PgClusterOptions { Replicas = 1 });
        await using var rawPrimary = NpgsqlDataSource.Create(cluster.Nodes[0].ConnectionString);
        await using var rawReplica = NpgsqlDataSource.Create(cluster.Nodes[1].ConnectionString);
        await using var pgha = new PgHaDataSourceBuilder(cluster.ConnectionString).Build();
        while (pgha.Topology.Primary is null || pgha.Topology.Nodes[1].ReplicaLag is null)
            await pgha.WaitForTopologyChangeAsync(pgha.Topology.Version, TimeSpan.FromSeconds(10));

        var pairs = new (string Node, Func<ValueTask<NpgsqlConnection>> Raw, Func<ValueTask<NpgsqlConnection>> PgHa)[]
        {
            ("primary", () => rawPrimary.OpenConnectionAsync(), () => pgha.OpenConnectionAsync(TargetRole.Primary)),
            ("replica", () => rawReplica.OpenConnectionAsync(), () => pgha.OpenConnectionAsync(TargetRole.Replica)),
        };

        var report = new StringBuilder();
        report.AppendLine(PairedRounds.Method);
        report.AppendLine();
        report.AppendLine("| clients | node " + PairedRounds.Header);
        report.AppendLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var clients in clientCounts)
        {
            foreach (var (node, raw, routed) in pairs)
                report.AppendLine($"| {clients} | {node} " + await PairedRounds.CompareAsync(() => SelectOneAsync(raw), () => SelectOneAsync(routed), clients));
        }

        return report.ToString();
    }

    private static async Task SelectOneAsync(Func<ValueTask<NpgsqlConnection>> open)
    {
        await using var connection = await open();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync();
    }
}
