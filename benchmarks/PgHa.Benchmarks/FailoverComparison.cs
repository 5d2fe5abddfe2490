using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using PgHa.Client;
using PgHa.Client.Topology;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>
/// One agent cluster at default settings, three applications writing through three client set-ups at the same time
/// (PgHa; <c>NpgsqlMultiHostDataSource</c> with target_session_attrs=primary; plain Npgsql through HAProxy with
/// <c>/primary</c> checks in front of the agents), and the same fault for all three: node loss, postmaster crash,
/// switchover, frozen primary, partitioned primary. Per set-up: detection, time to writable, longest write gap and
/// errors the app saw. The agents run in network namespaces for every fault (so every row has the same placement);
/// the applications and HAProxy run on the host and reach them over the bridge.
/// </summary>
internal static class FailoverComparison
{
    private const string Token = "bench-token";
    private static readonly string[] Faults = ["node loss", "postmaster crash", "switchover", "frozen primary", "partitioned primary"];
    private static readonly TimeSpan ResumeTimeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan MinimumObservation = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(90);

    /// <param name="WritableAgain">When the cluster had a writable primary again, from the fault (<see cref="WritableWatch"/>).</param>
    private sealed record Sample(string Fault, string Client, double? Detection, double? WritableAgain, double TimeToWritable, double Gap, int Errors, int Unknown);

    public static async Task<string> RunAsync(int repetitions, IReadOnlyCollection<string>? only = null)
    {
        if (only?.FirstOrDefault(f => !Faults.Contains(f)) is { } unknown)
            throw new ArgumentException($"Unknown fault '{unknown}'; the faults are: {string.Join(", ", Faults.Select(f => $"\"{f}\""))}.");
        await using var cluster = await NamespacedAgentCluster.StartAsync("bench", Token);
        var leader = await cluster.WaitForHealthyAsync(HealthyTimeout);
        await leader.ExecuteAsync("CREATE TABLE IF NOT EXISTS failover_comparison(client text, id bigint, at timestamptz DEFAULT clock_timestamp())");
        await using var haproxy = await StartHaProxyAsync(cluster.Nodes);
        await using var pgha = new PgHaDataSourceBuilder(cluster.ConnectionString).Build();
        await using var multiHost = NpgsqlDataSource.Create($"{cluster.ConnectionString};Target Session Attributes=primary");
        await using var viaHaProxy = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Host = "127.0.0.1", Port = haproxy.Port }.ConnectionString);
        await using var watch = new WritableWatch(cluster.Nodes);
        var topologies = new ConcurrentQueue<(long At, ClusterTopology Topology)>();
        pgha.TopologyChanged += (_, e) => topologies.Enqueue((Stopwatch.GetTimestamp(), e.Current));

        var samples = new List<Sample>();
        foreach (var fault in Faults.Where(f => only is null || only.Contains(f)))
        {
            for (var rep = 0; rep < repetitions; rep++)
            {
                leader = await cluster.WaitForHealthyAsync(HealthyTimeout);
                ComparisonWriter[] writers = [ComparisonWriter.ThroughPgHa(pgha), ComparisonWriter.ThroughNpgsql("multihost", multiHost), ComparisonWriter.ThroughNpgsql("haproxy", viaHaProxy)];
                try
                {
                    await WaitAsync(() => writers.All(w => w.Acks.Count >= 50), TimeSpan.FromSeconds(30), "writes before the fault");
                    var faultAt = Stopwatch.GetTimestamp();
                    await InjectAsync(fault, cluster, leader);
                    // A switchover's outage starts only after the leader's CHECKPOINT: watch a while before judging.
                    await Task.Delay(MinimumObservation);
                    var resumed = await WaitAsync(() => writers.All(w => Resumed(w, faultAt)), ResumeTimeout, null);
                    var until = Stopwatch.GetTimestamp();
                    var writableAgain = watch.WritableAgainAfter(faultAt, leader) is { } w ? Seconds(faultAt, w) : (double?)null;
                    foreach (var writer in writers)
                    {
                        var sample = Measure(fault, writer, faultAt, until, writer.Name == "PgHa" ? PgHaDetection(topologies, faultAt, leader) : null, writableAgain);
                        samples.Add(sample);
                        Console.Error.WriteLine($"{fault} #{rep + 1} {sample}{(resumed ? "" : " (not resumed in time)")}");
                    }
                }
                finally
                {
                    // A held fault ends here, once all three writers flow again or the wait ended (and before the
                    // writers are disposed: work in flight on a frozen or cut-off node would keep them waiting).
                    leader.ThawNode();
                    await cluster.Network.HealAsync(leader.Name);
                    foreach (var writer in writers)
                        await writer.DisposeAsync();
                }

                if (fault == "node loss")
                    leader.Start(); // rejoins (pg_rewind) before the next repetition
            }
        }

        return Report(samples, repetitions);
    }

    private static async Task InjectAsync(string fault, NamespacedAgentCluster cluster, AgentNode leader)
    {
        switch (fault)
        {
            case "node loss":
                leader.KillNode();
                break;
            case "postmaster crash":
                leader.KillPostmaster();
                break;
            case "switchover":
                var (code, text) = await leader.PostAsync("/switchover", new { leader = leader.Name }, Token);
                if (code != 200)
                    throw new InvalidOperationException($"switchover answered {code}: {text}");
                break;
            case "frozen primary":
                leader.FreezeNode();
                break;
            case "partitioned primary":
                await cluster.Network.CutAsync(leader.Name);
                break;
        }
    }

    /// <summary>Writes flow again: 20 acknowledgements after the longest gap since the fault, the gap still open now included.</summary>
    private static bool Resumed(ComparisonWriter writer, long faultAt)
    {
        var (_, end) = LongestGap(writer.Acks.ToArray(), faultAt, Stopwatch.GetTimestamp());
        return end is { } e && writer.Acks.Count(a => a >= e) >= 20;
    }

    /// <summary>
    /// The longest interval between consecutive acknowledgements from the last one before the fault on, counting the
    /// interval from the last acknowledgement to <paramref name="until"/>; <c>End</c> is null when that open one is
    /// the longest (writes have not resumed).
    /// </summary>
    private static (long Start, long? End) LongestGap(long[] acks, long faultAt, long until)
    {
        var before = acks.Where(a => a < faultAt).DefaultIfEmpty(faultAt).Max();
        var after = acks.Where(a => a >= faultAt).Order().ToArray();
        var (start, end, previous) = (before, (long?)null, before);
        var longest = 0L;
        foreach (var ack in after)
        {
            if (ack - previous > longest)
                (longest, start, end) = (ack - previous, previous, ack);
            previous = ack;
        }

        return until - previous > longest ? (previous, null) : (start, end);
    }

    private static Sample Measure(string fault, ComparisonWriter writer, long faultAt, long until, double? pghaDetection, double? writableAgain)
    {
        var acks = writer.Acks.ToArray();
        var (start, end) = LongestGap(acks, faultAt, until);
        var firstError = writer.Errors.Where(e => e >= faultAt).DefaultIfEmpty(0).Min();
        var detection = pghaDetection ?? (firstError > 0 ? Seconds(faultAt, firstError) : null);
        return new Sample(fault, writer.Name, detection, writableAgain, end is { } e ? Seconds(faultAt, e) : double.NaN, end is { } g ? Seconds(start, g) : double.NaN,
            writer.Errors.Count(x => x >= faultAt), writer.UnknownOutcomes.Count(x => x >= faultAt));
    }

    /// <summary>The watchdog's first snapshot after the fault in which the old primary is no longer an up primary.</summary>
    private static double? PgHaDetection(ConcurrentQueue<(long At, ClusterTopology Topology)> topologies, long faultAt, AgentNode leader)
    {
        foreach (var (at, topology) in topologies.Where(t => t.At >= faultAt))
        {
            var old = topology.Nodes.FirstOrDefault(n => n.EndPoint.Port == leader.PgPort);
            if (topology.Primary?.EndPoint.Port != leader.PgPort || old is null || old.Health != NodeHealth.Up)
                return Seconds(faultAt, at);
        }

        return null;
    }

    private static double Seconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalSeconds;

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, string? what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
                return what is null ? false : throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(20);
        }

        return true;
    }

    /// <summary>
    /// HAProxy in front of the agents as samples/agent/haproxy.cfg runs it: <c>/primary</c> checks every second, fall
    /// 2, rise 1. It runs on the host, listens on loopback and reaches the nodes (and their REST APIs) over the bridge.
    /// </summary>
    private static Task<ProxyProcess> StartHaProxyAsync(IReadOnlyList<AgentNode> nodes)
    {
        var port = LoopbackPorts.Next();
        var servers = string.Join('\n', nodes.Select(n => string.Create(CultureInfo.InvariantCulture, $"    server {n.Name} {n.Host}:{n.PgPort} check port {n.RestPort}")));
        var config = string.Create(CultureInfo.InvariantCulture, $"""
            global
                maxconn 1000
            defaults
                mode tcp
                timeout connect 2s
                timeout client 30m
                timeout server 30m
                default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
            listen primary
                bind 127.0.0.1:{port}
                option httpchk GET /primary
                http-check expect status 200
            {servers}
            """);
        return ProxyProcess.StartAsync("/usr/sbin/haproxy", _ => new Dictionary<string, string> { ["haproxy.cfg"] = config },
            root => ["-db", "-f", Path.Combine(root, "haproxy.cfg")], port);
    }

    private static string Report(List<Sample> samples, int repetitions)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Failover side by side: PgHa, Npgsql multi-host, HAProxy in front of the agent ({repetitions} repetitions per fault)");
        text.AppendLine();
        text.AppendLine("| fault | client | detection, median / worst | cluster writable again, median | time to writable, median / worst | writes resumed after the cluster was writable, median / worst | longest write gap, median / worst | errors seen by the app (outcome unknown), median / worst |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var group in samples.GroupBy(s => (s.Fault, s.Client)))
        {
            var detections = group.Where(s => s.Detection is not null).Select(s => s.Detection!.Value).ToList();
            var writableAgain = group.Where(s => s.WritableAgain is not null).Select(s => s.WritableAgain!.Value).ToList();
            var afterWritable = group.Select(s => s.WritableAgain is { } w ? s.TimeToWritable - w : double.NaN).ToList();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {group.Key.Fault} | {group.Key.Client} | {(detections.Count == 0 ? "no error seen" : MedianWorst(detections))} | {(writableAgain.Count == 0 ? "?" : Format(Median(writableAgain)))} | " +
                $"{MedianWorst(group.Select(s => s.TimeToWritable).ToList())} | {MedianWorst(afterWritable)} | {MedianWorst(group.Select(s => s.Gap).ToList())} | " +
                $"{Median(group.Select(s => (double)s.Errors).ToList()):0} ({Median(group.Select(s => (double)s.Unknown).ToList()):0}) / {group.Max(s => s.Errors)} ({group.Max(s => s.Unknown)}) |");
        }

        text.AppendLine();
        text.AppendLine("Samples (s, time to writable): " + string.Join("; ", samples.GroupBy(s => (s.Fault, s.Client)).Select(g =>
            $"{g.Key.Fault}/{g.Key.Client}: {string.Join(", ", g.Select(s => s.TimeToWritable.ToString("0.00", CultureInfo.InvariantCulture)))}")));
        return text.ToString();
    }

    /// <summary>Median and worst; a repetition whose writes had not resumed when the wait ended counts as worst of all.</summary>
    private static string MedianWorst(List<double> values) =>
        string.Create(CultureInfo.InvariantCulture, $"{Format(Median(values.Select(v => double.IsNaN(v) ? double.MaxValue : v).ToList()))} / {Format(values.Any(double.IsNaN) ? double.MaxValue : values.Max())}");

    private static string Format(double seconds) =>
        seconds == double.MaxValue ? $"not resumed in {(MinimumObservation + ResumeTimeout).TotalSeconds:0} s" : string.Create(CultureInfo.InvariantCulture, $"{seconds:0.00} s");

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
