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
        for (var i = 0; i < requests; i += 3)
        {
            var (code, body) = await leader.GetAsync("/cluster");
            Assert.Equal(200, code);
            Assert.Contains(body!["members"]!.AsArray(), m => (string?)m!["name"] == leader.Name && (string?)m["role"] == "leader");
            Assert.Equal(200, (await leader.GetAsync("/history")).Code);
            Assert.Equal(200, (await leader.GetAsync("/config")).Code);
        }

        var reads = await RangesAsync(cluster) - before;
        // The agent's own loop reads about once per LoopWait and the REST API at most four times a second; a read per
        // request would be at least 300.
        Assert.True(reads < requests / 3, $"{reads} etcd range requests during {requests} REST GETs\n{cluster.Logs()}");
    }

    /// <summary>etcd's count of range (read) requests it served.</summary>
    private static async Task<long> RangesAsync(AgentCluster cluster)
    {
        var text = await Http.GetStringAsync(new Uri(cluster.Etcd.Members[0].ClientUrl + "/metrics"));
        var line = text.Split('\n').Single(l => l.StartsWith("etcd_mvcc_range_total ", StringComparison.Ordinal));
        return (long)double.Parse(line["etcd_mvcc_range_total ".Length..], CultureInfo.InvariantCulture);
    }
}
