using System.Net.Http.Headers;
using System.Text;
using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>Who may change a real agent's cluster through its REST API, and what bad input gets back.</summary>
public sealed class AgentRestSecurityTests
{
    private const string User = "admin";
    private const string Password = "pa ss\"w:rd\\";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Changing_requests_accept_Bearer_and_Basic_and_reject_wrong_or_missing_credentials_with_a_challenge()
    {
        await using var cluster = await AgentCluster.StartAsync(nodes: 1, settings: new Dictionary<string, string> { ["RestUsername"] = User, ["RestPassword"] = Password });
        var node = await cluster.WaitForHealthyAsync();

        // DELETE /switchover changes nothing here (none is scheduled): 404 once the caller is let in.
        Assert.Equal(404, (await SendAsync(node, HttpMethod.Delete, "/switchover", new AuthenticationHeaderValue("Bearer", AgentCluster.Token))).Code);
        Assert.Equal(404, (await SendAsync(node, HttpMethod.Delete, "/switchover", Basic(User, Password))).Code);

        foreach (var wrong in new AuthenticationHeaderValue?[] { Basic(User, "wrong"), Basic("root", Password), new("Bearer", "wrong-token"), null })
        {
            var (code, text, challenges) = await SendAsync(node, HttpMethod.Delete, "/switchover", wrong);
            Assert.True(code == 401, $"{wrong?.Scheme ?? "no header"}: {code} {text}");
            Assert.Contains("Basic realm=\"pgha-agent\"", challenges);
            Assert.Contains("Bearer realm=\"pgha-agent\"", challenges);
        }

        Assert.Equal(200, (await SendAsync(node, HttpMethod.Get, "/patroni", null)).Code); // GETs stay open
    }

    [Fact]
    public async Task A_changing_request_from_outside_the_allowlist_gets_403_while_GETs_stay_open()
    {
        await using var cluster = await AgentCluster.StartAsync(nodes: 1, settings: new Dictionary<string, string> { ["RestAllowlist:0"] = "10.0.0.0/8", ["RestAllowlist:1"] = "192.0.2.7" });
        var node = await cluster.WaitForHealthyAsync();

        var (code, text, _) = await SendAsync(node, HttpMethod.Post, "/switchover", new AuthenticationHeaderValue("Bearer", AgentCluster.Token), """{"leader":"n1"}""");
        Assert.True(code == 403, $"{code} {text}");
        Assert.Equal(403, (await SendAsync(node, HttpMethod.Post, "/restart", new AuthenticationHeaderValue("Bearer", AgentCluster.Token))).Code);
        Assert.Equal(200, (await SendAsync(node, HttpMethod.Get, "/patroni", null)).Code);
    }

    [Fact]
    public async Task Absurd_lag_malformed_json_and_oversized_bodies_get_4xx_and_a_dcs_outage_503_never_500()
    {
        await using var cluster = await AgentCluster.StartAsync(nodes: 1);
        var node = await cluster.WaitForHealthyAsync();
        var token = new AuthenticationHeaderValue("Bearer", AgentCluster.Token);

        foreach (var lag in new[] { "-1", "NaN", "1e30TB", "99999999999TB", "garbage", "" })
        {
            foreach (var path in new[] { "/replica", "/read-only", "/readiness" })
            {
                var (code, text, _) = await SendAsync(node, HttpMethod.Get, $"{path}?lag={Uri.EscapeDataString(lag)}", null);
                Assert.True(code == 400, $"{path}?lag={lag}: {code} {text}");
                Assert.Contains("lag must be", text, StringComparison.Ordinal);
            }
        }

        Assert.Equal(503, (await SendAsync(node, HttpMethod.Get, "/replica?lag=16MB", null)).Code); // a valid size still works (the leader is no replica)
        foreach (var body in new[] { "{not json", """{"leader": 5}""", "[1,2]", "" })
        {
            var (code, text, _) = await SendAsync(node, HttpMethod.Post, "/switchover", token, body);
            Assert.True(code == 400, $"'{body}': {code} {text}");
        }

        var big = """{"leader":"n1","candidate":"n2","pad":""" + "\"" + new string('x', 100_000) + "\"}";
        Assert.Equal(413, (await SendAsync(node, HttpMethod.Post, "/switchover", token, big)).Code);
        Assert.Equal(413, (await SendAsync(node, HttpMethod.Post, "/switchover", token, big, chunked: true)).Code);

        await cluster.Etcd.Members[0].StopAsync();
        var (dcsCode, dcsText, _) = await SendAsync(node, HttpMethod.Post, "/switchover", token, """{"leader":"n1","candidate":"n2"}""");
        Assert.True(dcsCode == 503, $"{dcsCode} {dcsText}");
        Assert.Contains("DCS unavailable", dcsText, StringComparison.Ordinal);
    }

    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    private static async Task<(int Code, string Text, string Challenges)> SendAsync(AgentNode node, HttpMethod method, string path, AuthenticationHeaderValue? authorization, string? body = null, bool chunked = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(node.RestUrl, path)) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = authorization;
        if (chunked)
            request.Headers.TransferEncodingChunked = true;
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString())));
    }
}
