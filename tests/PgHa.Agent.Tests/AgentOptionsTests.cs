using PgHa.Agent.Configuration;
using Xunit;

namespace PgHa.Agent.Tests;

public sealed class AgentOptionsTests
{
    [Fact]
    public void Defaults_with_the_required_settings_are_valid_and_keep_the_timing_rule()
    {
        var options = Valid();

        Assert.Empty(AgentOptionsValidator.Validate(options));
        Assert.True(options.LoopWait + 2 * options.RetryTimeout <= options.Ttl);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var options = new AgentOptions
        {
            Listen = "nope",
            RestListen = "0.0.0.0:8008",
            EtcdEndpoints = ["ftp://x"],
            EtcdUsername = "root",
            Ttl = TimeSpan.FromSeconds(2.5),
            LoopWait = TimeSpan.FromSeconds(2),
            SynchronousModeStrict = true,
        };

        var errors = AgentOptionsValidator.Validate(options);

        foreach (var fragment in new[] { "Name is required", "Scope is required", "DataDirectory is required", "Listen must be host:port", "RestToken is required",
                     "'ftp://x' is not", "go together", "whole number of seconds", "must not exceed Ttl", "SynchronousModeStrict needs" })
            Assert.Contains(errors, e => e.Contains(fragment, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1:5432", "127.0.0.1", 5432)]
    [InlineData("[::1]:8008", "::1", 8008)]
    [InlineData("db1.example:6432", "db1.example", 6432)]
    public void Addresses_parse(string text, string host, int port)
    {
        Assert.True(AgentOptionsValidator.TryParseAddress(text, out var h, out var p));
        Assert.Equal((host, port), (h, p));
    }

    [Theory]
    [InlineData("5432")]
    [InlineData(":5432")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    public void Bad_addresses_do_not(string text) => Assert.False(AgentOptionsValidator.TryParseAddress(text, out _, out _));

    [Theory]
    [InlineData("")]
    [InlineData("host all all 10.0.0.0/8 trust\nlocal all all trust")]
    public void A_pg_hba_entry_must_be_one_line(string line)
    {
        var options = Valid();
        options.PgHba = ["host replication all 10.0.0.0/8 trust", line];

        Assert.Contains(AgentOptionsValidator.Validate(options), e => e.StartsWith("PgHba: each entry must be one", StringComparison.Ordinal));
    }

    private static AgentOptions Valid() => new()
    {
        Name = "node1",
        Scope = "demo",
        DataDirectory = "/var/lib/postgresql/15/demo",
        EtcdEndpoints = ["http://127.0.0.1:2379"],
    };
}
