using System.Net;
using System.Text;
using PgHa.Agent.Configuration;
using PgHa.Agent.Rest;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The REST API's input and access rules without a cluster: sizes, credentials, allowlist entries, TLS settings.</summary>
public sealed class RestInputRulesTests
{
    [Theory]
    [InlineData("-1MB")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e30TB")]
    [InlineData("99999999999TB")]
    [InlineData("9223372036854775808")]
    [InlineData("1,5MB")]
    [InlineData("MB")]
    [InlineData(".")]
    [InlineData("0x10")]
    public void Absurd_lag_sizes_are_rejected_not_wrapped(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Theory]
    [InlineData("8388607TB", 8388607L << 40)]
    [InlineData("0", 0L)]
    [InlineData("0.5kB", 512L)]
    public void Sizes_up_to_the_largest_long_parse(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Fact]
    public void Bearer_and_Basic_credentials_are_accepted_and_anything_else_is_not()
    {
        var o = new AgentOptions { RestToken = "t0ken", RestUsername = "admin", RestPassword = "p a\"ss:\\" };
        Assert.True(RestAuth.IsRequired(o));
        Assert.True(RestAuth.Accepts(o, "Bearer t0ken"));
        Assert.True(RestAuth.Accepts(o, "Basic " + Base64("admin:p a\"ss:\\")));
        Assert.False(RestAuth.Accepts(o, "Bearer t0ken2"));
        Assert.False(RestAuth.Accepts(o, "Basic " + Base64("admin:wrong")));
        Assert.False(RestAuth.Accepts(o, "Basic " + Base64("root:p a\"ss:\\")));
        Assert.False(RestAuth.Accepts(o, "Basic not-base64!"));
        Assert.False(RestAuth.Accepts(o, "t0ken"));
        Assert.False(RestAuth.Accepts(o, ""));
        Assert.False(RestAuth.Accepts(new AgentOptions { RestUsername = "admin", RestPassword = "x" }, "Bearer "));
        Assert.Equal(["Basic realm=\"pgha-agent\"", "Bearer realm=\"pgha-agent\""], RestAuth.Challenges(o));
    }

    [Fact]
    public void Ctl_and_peers_send_the_token_or_else_Basic_credentials()
    {
        Assert.Equal("Bearer t", RestHttpClient.Authorization(new AgentOptions { RestToken = "t", RestUsername = "admin", RestPassword = "x" })!.ToString());
        var basic = RestHttpClient.Authorization(new AgentOptions { RestUsername = "admin", RestPassword = "p w" })!;
        Assert.True(RestAuth.Accepts(new AgentOptions { RestUsername = "admin", RestPassword = "p w" }, basic.ToString()));
        Assert.Null(RestHttpClient.Authorization(new AgentOptions()));
    }

    [Fact]
    public void The_allowlist_admits_its_networks_and_addresses_only()
    {
        var list = new RestAllowlist(["10.1.2.3/8", "192.0.2.7", "fd00::/8"]);
        Assert.True(list.Allows(IPAddress.Parse("10.200.0.1")));
        Assert.True(list.Allows(IPAddress.Parse("::ffff:10.9.9.9")));
        Assert.True(list.Allows(IPAddress.Parse("192.0.2.7")));
        Assert.True(list.Allows(IPAddress.Parse("fd12::1")));
        Assert.False(list.Allows(IPAddress.Parse("127.0.0.1")));
        Assert.False(list.Allows(IPAddress.Parse("192.0.2.8")));
        Assert.False(list.Allows(null));
        Assert.True(new RestAllowlist([]).Allows(IPAddress.Parse("203.0.113.1")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("10.1")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/33")]
    [InlineData("db.example.com")]
    [InlineData("")]
    public void Allowlist_entries_that_are_not_addresses_or_networks_are_refused_at_start(string entry)
    {
        var errors = AgentOptionsValidator.Validate(Valid(o => o.RestAllowlist = [entry]));
        Assert.Contains(errors, e => e.StartsWith("RestAllowlist:", StringComparison.Ordinal));
    }

    [Fact]
    public void Rest_security_settings_are_checked_together()
    {
        var errors = AgentOptionsValidator.Validate(Valid(o =>
        {
            o.RestUsername = "admin";
            o.RestCertFile = "/nonexistent/cert.pem";
            o.RestVerifyClient = "maybe";
            o.RestClientKeyFile = "/nonexistent/key.pem";
        }));
        Assert.Contains("RestUsername and RestPassword go together.", errors);
        Assert.Contains("RestCertFile and RestKeyFile go together.", errors);
        Assert.Contains(errors, e => e.StartsWith("RestVerifyClient must be none, optional or required", StringComparison.Ordinal));
        Assert.Contains("RestClientCertFile and RestClientKeyFile go together.", errors);

        errors = AgentOptionsValidator.Validate(Valid(o => (o.RestCertFile, o.RestKeyFile, o.RestVerifyClient) = ("/nonexistent/c.pem", "/nonexistent/k.pem", "required")));
        Assert.Contains(errors, e => e.StartsWith("RestCertFile '/nonexistent/c.pem' with its key", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RestVerifyClient required needs", StringComparison.Ordinal));
        Assert.Empty(AgentOptionsValidator.Validate(Valid(_ => { })));
    }

    [Fact]
    public void Basic_credentials_satisfy_the_rule_for_an_api_beyond_loopback()
    {
        Assert.Contains(AgentOptionsValidator.Validate(Valid(o => o.RestListen = "0.0.0.0:8008")), e => e.StartsWith("RestToken is required", StringComparison.Ordinal));
        Assert.DoesNotContain(AgentOptionsValidator.Validate(Valid(o => (o.RestListen, o.RestUsername, o.RestPassword) = ("0.0.0.0:8008", "admin", "x"))), e => e.StartsWith("RestToken is required", StringComparison.Ordinal));
    }

    [Fact]
    public void The_published_api_url_is_https_when_the_api_serves_tls()
    {
        Assert.Equal("http://10.0.0.5:8008/patroni", Valid(o => o.RestConnectAddress = "10.0.0.5:8008").RestApiUrl());
        Assert.Equal("https://10.0.0.5:8008/patroni", Valid(o => (o.RestConnectAddress, o.RestCertFile, o.RestKeyFile) = ("10.0.0.5:8008", "c", "k")).RestApiUrl());
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static AgentOptions Valid(Action<AgentOptions> change)
    {
        var o = new AgentOptions { Name = "n1", Scope = "test", DataDirectory = "/x", EtcdEndpoints = ["http://127.0.0.1:2379"] };
        change(o);
        return o;
    }
}
