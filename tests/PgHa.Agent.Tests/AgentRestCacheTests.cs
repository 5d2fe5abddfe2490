using System.Globalization;
using PgHa.Agent.Tests.Harness;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>Anonymous GETs of the cluster's DCS state share etcd reads (one per quarter second) instead of reading etcd per request.</summary>
public sealed class AgentRestCacheTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Many_anonymous_cluster_history_and_config_GETs_share_etcd_reads_and_still_show_the_leader()
    {
        await using var cluster = await AgentCluster.StartAsync(nodes: 1);
        var leader = await cluster.WaitForHealthyAsync();
        const int requests = 300;
        // The member shows once its key is written.
        await Poll.UntilAsync(async () => (await leader.GetAsync("/cluster")).Body?["members"]?.AsArray().Count == 1, cluster, what: "the member in /cluster");

        var before = await RangesAsync(cluster);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < requests; i += 3)
        {
            var (code, body) = await leader.GetAsync("/cluster");
            Assert.Equal(200, code);
            Assert.Contains(body!["members"]!.AsArray(), m => (string?)m!["name"] == leader.Name && (string?)m["role"] == "leader");
            Assert.Equal(200, (await leader.GetAsync("/history")).Code);
            Assert.Equal(200, (await leader.GetAsync("/config")).Code);
        }

        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var reads = await RangesAsync(cluster) - before;
        // A read per request would be at least 300. Shared reads depend on how long the GETs took, not on how many
        // there were: the REST API at most four a second, the agent's own loop about one or two per LoopWait.
        var allowed = (long)(elapsed.TotalSeconds * 8) + 20;
        Assert.True(reads < requests && reads <= allowed, $"{reads} etcd range requests during {requests} REST GETs in {elapsed.TotalSeconds:0.0} s (allowed {allowed})\n{cluster.Logs()}");
    }

    /// <summary>etcd's count of range (read) requests it served.</summary>
    private static async Task<long> RangesAsync(AgentCluster cluster)
    {
        var text = await Http.GetStringAsync(new Uri(cluster.Etcd.Members[0].ClientUrl + "/metrics"));
        var line = text.Split('\n').Single(l => l.StartsWith("etcd_mvcc_range_total ", StringComparison.Ordinal));
        return (long)double.Parse(line["etcd_mvcc_range_total ".Length..], CultureInfo.InvariantCulture);
    }
}
