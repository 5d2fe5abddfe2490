using System.Net.Http.Json;

namespace PgHa.Testing.Tests;

public sealed class EtcdClusterTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task A_member_killed_and_started_again_keeps_its_data_and_dispose_leaves_nothing_behind()
    {
        var etcd = await EtcdCluster.StartAsync();
        var root = etcd.RootDirectory;
        var member = etcd.Members[0];
        await PutAsync(member, "a2V5", "dmFsdWU="); // key = "value", base64 as the gateway wants

        member.Kill();
        Assert.False(await member.IsHealthyAsync());
        await member.StartAsync();

        Assert.Contains("\"value\":\"dmFsdWU=\"", await RangeAsync(member, "a2V5"), StringComparison.Ordinal);
        member.Freeze();
        Assert.NotEmpty(TestClusters.ProcessesMentioning(root + "/"));

        await etcd.DisposeAsync();

        Assert.Empty(TestClusters.ProcessesMentioning(root + "/"));
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task Three_members_form_one_cluster_that_survives_losing_one()
    {
        await using var etcd = await EtcdCluster.StartAsync(new EtcdClusterOptions { Members = 3 });
        Assert.Equal(3, etcd.Endpoints.Distinct().Count());

        etcd.Members[0].Kill();
        // A write proposed while the others still follow the dead member waits out etcd's own request timeout;
        // ask again with short timeouts until the new leader takes it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                (await Http.PostAsJsonAsync(etcd.Members[1].ClientUrl + "/v3/kv/put", new { key = "a2V5", value = "dmFsdWU=" }, attempt.Token)).EnsureSuccessStatusCode();
                break;
            }
            catch (Exception) when (clock.Elapsed < TimeSpan.FromSeconds(15))
            {
            }
        }

        Assert.Contains("dmFsdWU=", await RangeAsync(etcd.Members[2], "a2V5"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_options_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => EtcdCluster.StartAsync(new EtcdClusterOptions { Members = 0 }));
        await Assert.ThrowsAsync<PgHarnessException>(() => EtcdCluster.StartAsync(new EtcdClusterOptions { EtcdPath = "/nonexistent/etcd" }));
    }

    private static async Task PutAsync(EtcdMember member, string key, string value)
        => (await Http.PostAsJsonAsync(member.ClientUrl + "/v3/kv/put", new { key, value })).EnsureSuccessStatusCode();

    private static async Task<string> RangeAsync(EtcdMember member, string key)
    {
        var response = await Http.PostAsJsonAsync(member.ClientUrl + "/v3/kv/range", new { key });
        return await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync();
    }
}
