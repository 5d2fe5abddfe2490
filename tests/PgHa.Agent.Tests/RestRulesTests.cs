using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Postgres;
using PgHa.Agent.Rest;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The REST API's parsing and Patroni's switchover checks, without a cluster.</summary>
public sealed class RestRulesTests
{
    [Theory]
    [InlineData("16kB", 16384L)]
    [InlineData("10MB", 10485760L)]
    [InlineData("1GB", 1073741824L)]
    [InlineData("1.5GB", 1610612736L)]
    [InlineData("1024 kB", 1048576L)]
    [InlineData("4096", 4096L)]
    public void Lag_sizes_parse_as_Patroni_does(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("16KB")]
    [InlineData("1gb")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("-1")]
    public void Sizes_Patroni_rejects_are_rejected(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Theory]
    [InlineData("0/0", 0L)]
    [InlineData("0/3000060", 0x3000060L)]
    [InlineData("16/B374D848", 0x16B374D848L)]
    public void Wal_positions_round_trip(string text, long position)
    {
        Assert.Equal(position, Lsn.Parse(text));
        Assert.Equal(text, Lsn.Format(position));
    }

    [Theory]
    [InlineData(false, null, "n2", 400, "only from a specific leader")]
    [InlineData(true, null, null, 400, "only to a specific candidate")]
    [InlineData(false, "n1", "n1", 400, "target and source are the same")]
    [InlineData(false, "n3", "n2", 412, "leader name does not match")]
    [InlineData(false, "n1", "n9", 412, "candidate does not exists")]
    [InlineData(false, "n1", "n3", 412, "no good candidates")]
    public void Switchover_requests_are_checked_like_Patroni(bool failover, string? leader, string? candidate, int code, string message)
    {
        var (error, _) = SwitchoverRules.Check(View(), Options(), new SwitchBody { Leader = leader, Candidate = candidate }, failover);
        Assert.NotNull(error);
        Assert.Equal(code, error.Value.Code);
        Assert.Contains(message, error.Value.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_candidate_the_most_advanced_healthy_replica_is_chosen()
    {
        var (error, candidate) = SwitchoverRules.Check(View(), Options(), new SwitchBody { Leader = "n1" }, failover: false);
        Assert.Null(error);
        Assert.Equal("n2", candidate);
    }

    private static AgentOptions Options() => new() { Name = "n1", Scope = "test", DataDirectory = "/x", EtcdEndpoints = ["http://127.0.0.1:2379"] };

    private static ClusterView View() => new(1, "n1", 0, "7301", new Dictionary<string, MemberStatus>
    {
        ["n1"] = Member("primary", "running", 100),
        ["n2"] = Member("replica", "running", 90),
        ["n3"] = Member("replica", "stopped", 95),
    }, null, null, 100);

    private static MemberStatus Member(string role, string state, long position)
        => new() { ConnUrl = "postgres://127.0.0.1:5432/postgres", ApiUrl = "http://127.0.0.1:8008/patroni", Role = role, State = state, XlogLocation = position };
}
