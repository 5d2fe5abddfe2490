using System.Diagnostics;
using System.Globalization;

namespace PgHa.Benchmarks;

/// <summary>
/// Two variants of one operation measured in alternating short rounds in one process, so that machine drift (a
/// 2-core box running PostgreSQL too) hits both alike. BenchmarkDotNet runs each case in its own process one after
/// another, where drift between runs exceeds the few percent we are looking for.
/// </summary>
internal static class PairedRounds
{
    private const int Rounds = 30;
    private static readonly TimeSpan RoundLength = TimeSpan.FromMilliseconds(1000);

    public static string Method =>
        $"Paired rounds: {Rounds - 1} measured rounds of {RoundLength.TotalSeconds:0.#} s per variant; each round runs both variants back to back, " +
        "alternating which goes first; the ratio is the median of the per-round ratios (25th–75th percentile).";

    public const string Header = "| raw ops/s | PgHa ops/s | raw p50 / p99 µs | PgHa p50 / p99 µs | PgHa ÷ raw (IQR) |";

    /// <summary>Measures <paramref name="raw"/> against <paramref name="pgha"/> and returns their cells of a table row.</summary>
    public static async Task<string> CompareAsync(Func<Task> raw, Func<Task> pgha, int clients)
    {
        var rawOps = new List<double>();
        var pghaOps = new List<double>();
        var ratios = new List<double>();
        var rawLatency = new List<double>();
        var pghaLatency = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            var first = round % 2 == 0;
            var a = await RoundAsync(first ? raw : pgha, clients);
            var b = await RoundAsync(first ? pgha : raw, clients);
            var (r, p) = first ? (a, b) : (b, a);
            if (round == 0)
                continue; // warms pools and JIT
            rawOps.Add(r.OpsPerSecond);
            pghaOps.Add(p.OpsPerSecond);
            ratios.Add(p.OpsPerSecond / r.OpsPerSecond);
            rawLatency.AddRange(r.LatenciesMicros);
            pghaLatency.AddRange(p.LatenciesMicros);
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"| {Percentile(rawOps, 0.5):0} | {Percentile(pghaOps, 0.5):0} | {Percentile(rawLatency, 0.5):0} / {Percentile(rawLatency, 0.99):0} | {Percentile(pghaLatency, 0.5):0} / {Percentile(pghaLatency, 0.99):0} | **{Percentile(ratios, 0.5):0.000}** ({Percentile(ratios, 0.25):0.000}–{Percentile(ratios, 0.75):0.000}) |");
    }

    private static async Task<(double OpsPerSecond, List<double> LatenciesMicros)> RoundAsync(Func<Task> operation, int clients)
    {
        var clock = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var samples = new List<double>(8192);
            while (clock.Elapsed < RoundLength)
            {
                var started = Stopwatch.GetTimestamp();
                await operation();
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
