using PgHa.Client.Internal;
using PgHa.Client.Topology;
using Xunit;

namespace PgHa.Client.Tests;

public sealed class HostListTests
{
    [Fact]
    public void Hosts_with_and_without_ports_parse_in_order()
    {
        var parsed = HostList.Parse("h1:5432, h2 ,[::1]:5434,[fe80::1],10.0.0.1:6000", 5433);
        Assert.Equal(
            [new("h1", 5432), new("h2", 5433), new("::1", 5434), new("fe80::1", 5433), new NodeEndPoint("10.0.0.1", 6000)],
            parsed);
    }

    [Fact]
    public void A_bare_ipv6_address_takes_the_default_port() => Assert.Equal([new NodeEndPoint("::1", 5432)], HostList.Parse("::1", 5432));

    [Theory]
    [InlineData("", "no Host")]
    [InlineData("   ", "no Host")]
    [InlineData("h1,,h2", "empty entry")]
    [InlineData("h1:abc", "invalid port 'abc'")]
    [InlineData("h1:0", "invalid port '0'")]
    [InlineData("h1:70000", "invalid port '70000'")]
    [InlineData(":5432", "no host name")]
    [InlineData("[::1:5432", "does not close")]
    [InlineData("h1:5432,H1:5432", "listed more than once")]
    [InlineData("h1,h1:5432", "listed more than once")]
    public void Malformed_host_lists_are_refused_with_a_clear_message(string hosts, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => HostList.Parse(hosts, 5432));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_host_on_different_ports_is_two_nodes() => Assert.Equal(2, HostList.Parse("h:1,h:2", 5432).Length);

    [Fact]
    public void More_than_64_hosts_are_refused()
    {
        var hosts = string.Join(',', Enumerable.Range(1, 65).Select(i => $"h{i}"));
        Assert.Contains("at most 64", Assert.Throws<ArgumentException>(() => HostList.Parse(hosts, 5432)).Message, StringComparison.Ordinal);
    }
}
