using System.Diagnostics;
using System.Globalization;
using System.Text;
using PgHa.Client;
using PgHa.Client.Topology;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>
/// How fast the watchdog sees what happens to a real cluster, at default options, repeated on fresh clusters:
/// a SIGKILLed primary, a fast-shut-down primary, a SIGSTOPped replica, and a promotion after the primary died.
/// </summary>
internal static class FailoverTimings
{
    public static async Task<string> RunAsync(int repetitions)
    {
        var scenarios = new (string Name, string Target, Func<PgCluster, PgHaDataSource, Task<TimeSpan>> Measure)[]
        {
            ("primary SIGKILLed (node loss)", "≤ 1 s", (c, ds) => TimeUntilAsync(ds, () => c.Nodes[0].Kill(), t => t.Primary is null)),
            ("primary fast shutdown (57P01)", "≤ 1 s", (c, ds) => TimeUntilAsync(ds, () => _ = c.Nodes[0].StopAsync(PgStopMode.Fast), t => t.Primary is null)),
            ("replica SIGSTOPped (frozen host)", "≤ 3 s", (c, ds) => TimeUntilAsync(ds, () => c.Nodes[2].Freeze(), t => t.Nodes[2].Health == NodeHealth.Down)),
            ("promotion started → writes routed to the new primary", "≤ promotion + 0.5 s", PromotionAsync),
        };

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"{repetitions} repetitions per scenario, each on a fresh 1 primary + 2 replica cluster, default options.");
        report.AppendLine();
        report.AppendLine("| event | target | median | worst |");
        report.AppendLine("|---|---|---:|---:|");
        foreach (var (name, target, measure) in scenarios)
        {
            var samples = new List<TimeSpan>();
            for (var i = 0; i < repetitions; i++)
            {
                await using var cluster = await PgCluster.StartAsync(new PgClusterOptions());
                await using (var ds = new PgHaDataSourceBuilder(cluster.ConnectionString).Build())
                {
                    while (!ds.Topology.IsDiscoveryComplete || ds.Topology.Primary is null)
                        await ds.WaitForTopologyChangeAsync(ds.Topology.Version, TimeSpan.FromSeconds(10));
                    await Task.Delay(1500); // let the probes settle into their normal rhythm
                    samples.Add(await measure(cluster, ds));
                }

                foreach (var node in cluster.Nodes)
                    node.Thaw();
            }

            samples.Sort();
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {target} | {samples[samples.Count / 2].TotalMilliseconds:0} ms | {samples[^1].TotalMilliseconds:0} ms |"));
        }

        report.AppendLine().AppendLine(PromotionNote());
        return report.ToString();
    }

    private static async Task<TimeSpan> TimeUntilAsync(PgHaDataSource ds, Action fault, Func<ClusterTopology, bool> seen)
    {
        var clock = Stopwatch.StartNew();
        fault();
        while (!seen(ds.Topology))
            await ds.WaitForTopologyChangeAsync(ds.Topology.Version, TimeSpan.FromSeconds(10));
        return clock.Elapsed;
    }

    /// <summary>Times of <c>pg_ctl promote -w</c> itself, for comparison with the routing time.</summary>
    private static readonly List<TimeSpan> PromotionDurations = [];

    public static string PromotionNote()
    {
        var sorted = PromotionDurations.Order().ToArray();
        return sorted.Length == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"`pg_ctl promote -w` itself took {sorted[sorted.Length / 2].TotalMilliseconds:0} ms (median), {sorted[^1].TotalMilliseconds:0} ms (worst): PgHa routes to the new primary about when it starts accepting writes, often before `pg_ctl` returns.");
    }

    private static async Task<TimeSpan> PromotionAsync(PgCluster cluster, PgHaDataSource ds)
    {
        cluster.Nodes[0].Kill();
        while (ds.Topology.Primary is not null)
            await ds.WaitForTopologyChangeAsync(ds.Topology.Version, TimeSpan.FromSeconds(10));
        await Task.Delay(1000);
        var clock = Stopwatch.StartNew();
        var promoting = cluster.Nodes[1].PromoteAsync(wait: true);
        while (ds.Topology.Primary?.EndPoint.Port != cluster.Nodes[1].Port)
            await ds.WaitForTopologyChangeAsync(ds.Topology.Version, TimeSpan.FromSeconds(10));
        var routed = clock.Elapsed;
        await promoting;
        PromotionDurations.Add(clock.Elapsed);
        return routed;
    }
}
