using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using PgHa.Client;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>
/// Open + <c>SELECT 1</c> + close, raw Npgsql versus PgHa routing to the same node, measured in alternating short
/// rounds in one process so that machine drift (a 2-core box running PostgreSQL too) hits both sides alike.
/// BenchmarkDotNet runs each case in its own process one after another, where drift between runs exceeds the
/// few percent we are looking for.
/// </summary>
internal static class SideBySide
{
    private const int Rounds = 30;
    private static readonly TimeSpan RoundLength = TimeSpan.FromMilliseconds(1000);

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
        report.AppendLine($"Paired rounds: {Rounds - 1} measured rounds of {RoundLength.TotalSeconds:0.#} s per variant; each round runs raw and PgHa back to back");
        report.AppendLine("on the same node, alternating which goes first; the ratio is the median of the per-round ratios (25th–75th percentile).");
        report.AppendLine();
        report.AppendLine("| clients | node | raw Npgsql ops/s | PgHa ops/s | raw p50 / p99 µs | PgHa p50 / p99 µs | PgHa ÷ raw (IQR) |");
        report.AppendLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var clients in clientCounts)
        {
            foreach (var (node, raw, routed) in pairs)
            {
                var rawOps = new List<double>();
                var pghaOps = new List<double>();
                var ratios = new List<double>();
                var rawLatency = new List<double>();
                var pghaLatency = new List<double>();
                for (var round = 0; round < Rounds; round++)
                {
                    var first = round % 2 == 0;
                    var a = await RoundAsync(first ? raw : routed, clients);
                    var b = await RoundAsync(first ? routed : raw, clients);
                    var (r, p) = first ? (a, b) : (b, a);
                    if (round == 0)
                        continue; // warms pools and JIT
                    rawOps.Add(r.OpsPerSecond);
                    pghaOps.Add(p.OpsPerSecond);
                    ratios.Add(p.OpsPerSecond / r.OpsPerSecond);
                    rawLatency.AddRange(r.LatenciesMicros);
                    pghaLatency.AddRange(p.LatenciesMicros);
                }

                report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {clients} | {node} | {Percentile(rawOps, 0.5):0} | {Percentile(pghaOps, 0.5):0} | {Percentile(rawLatency, 0.5):0} / {Percentile(rawLatency, 0.99):0} | {Percentile(pghaLatency, 0.5):0} / {Percentile(pghaLatency, 0.99):0} | **{Percentile(ratios, 0.5):0.000}** ({Percentile(ratios, 0.25):0.000}–{Percentile(ratios, 0.75):0.000}) |"));
            }
        }

        return report.ToString();
    }

    private static async Task<(double OpsPerSecond, List<double> LatenciesMicros)> RoundAsync(Func<ValueTask<NpgsqlConnection>> open, int clients)
    {
        var clock = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var samples = new List<double>(8192);
            while (clock.Elapsed < RoundLength)
            {
                var started = Stopwatch.GetTimestamp();
                await using (var connection = await open())
                await using (var command = new NpgsqlCommand("SELECT 1", connection))
                    await command.ExecuteScalarAsync();
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }

            return samples;
        })));
        var all = perClient.SelectMany(s => s).ToList();
        return (all.Count / clock.Elapsed.TotalSeconds, all);
    }

    private static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * fraction))];
    }
}
