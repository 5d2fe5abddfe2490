using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>
/// Time to writable with the PgHa agent at its default settings (ttl 4 s, loop_wait 1 s, retry_timeout 1.5 s): a
/// writer commits one-row inserts as fast as it can to whichever node takes writes, and the time from the last commit
/// on the old primary to the first commit on the new one is measured, for a planned switchover (POST /switchover)
/// and for node loss (SIGKILL of the leader's agent, watchdog and PostgreSQL together). One 3-node cluster per
/// scenario; after each node loss the killed node is restarted and must rejoin before the next repetition.
/// </summary>
internal static class AgentTimeToWritable
{
    private const string Token = "bench-token";

    private sealed record Sample(string Scenario, TimeSpan TimeToWritable, TimeSpan Detection, int FailedAttempts);

    public static async Task<string> RunAsync(int repetitions)
    {
        var samples = new List<Sample>();
        foreach (var scenario in new[] { "switchover", "node loss" })
        {
            await using var cluster = await NamespacedAgentCluster.StartAsync("bench", Token);
            for (var i = 0; i < repetitions; i++)
            {
                samples.Add(await RunOnceAsync(cluster, scenario));
                Console.Error.WriteLine($"{scenario} #{i + 1}: {samples[^1]}");
            }
        }

        return Report(samples, repetitions);
    }

    private static async Task<Sample> RunOnceAsync(NamespacedAgentCluster cluster, string scenario)
    {
        var leader = await cluster.WaitForHealthyAsync(TimeSpan.FromSeconds(90));
        await using var writer = new FailoverWriter(cluster.Nodes);
        await writer.WaitForCommitsAsync(leader, 50);
        var faultAt = Stopwatch.GetTimestamp();
        if (scenario == "switchover")
        {
            var candidate = cluster.Nodes.First(n => n != leader);
            var (code, text) = await leader.PostAsync("/switchover", new { leader = leader.Name, candidate = candidate.Name }, Token);
            if (code != 200)
                throw new InvalidOperationException($"switchover answered {code}: {text}");
        }
        else
        {
            leader.KillNode();
        }

        var next = await writer.WaitForCommitOnOtherNodeAsync(leader, TimeSpan.FromSeconds(60));
        var lastOld = writer.LastCommitOn(leader);
        var firstNew = writer.FirstCommitOn(next, after: faultAt);
        var sample = new Sample(scenario, Stopwatch.GetElapsedTime(lastOld, firstNew), Stopwatch.GetElapsedTime(faultAt, firstNew), writer.FailedAttempts);
        if (scenario == "node loss")
            leader.Start(); // rejoins (pg_rewind) before the next repetition
        return sample;
    }

    private static string Report(List<Sample> samples, int repetitions)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Agent time to writable ({repetitions} repetitions per scenario, default settings)");
        text.AppendLine();
        text.AppendLine("| scenario | time to writable, median | worst | fault → first new commit, median | target |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var group in samples.GroupBy(s => s.Scenario))
        {
            var times = group.Select(s => s.TimeToWritable.TotalSeconds).Order().ToList();
            var detection = group.Select(s => s.Detection.TotalSeconds).Order().ToList();
            var target = group.Key == "switchover" ? "≤ 1 s (Patroni defaults: 1.4 s)" : "≤ 5 s (Patroni defaults: 27.9 s)";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | **{Median(times):0.00} s** | {times[^1]:0.00} s | {Median(detection):0.00} s | {target} |");
        }

        text.AppendLine();
        text.AppendLine("Samples (s): " + string.Join("; ", samples.GroupBy(s => s.Scenario).Select(g => $"{g.Key}: {string.Join(", ", g.Select(s => s.TimeToWritable.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)))}")));
        return text.ToString();
    }

    private static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
