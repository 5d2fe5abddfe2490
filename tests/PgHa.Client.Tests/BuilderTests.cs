using Xunit;

namespace PgHa.Client.Tests;

public sealed class BuilderTests
{
    [Fact]
    public void Invalid_options_are_reported_together_in_one_message()
    {
        var builder = new PgHaDataSourceBuilder("Host=h1,h2");
        builder.Options.ProbeInterval = TimeSpan.Zero;
        builder.Options.FailedProbesBeforeDown = 0;
        builder.Options.MaxReplicaLag = TimeSpan.FromSeconds(-1);
        builder.Options.MaxReplicaLagBytes = -5;
        builder.Options.ClusterName = " ";

        var message = Assert.Throws<ArgumentException>(builder.Build).Message;

        foreach (var option in new[] { "ProbeInterval", "FailedProbesBeforeDown", "MaxReplicaLag", "MaxReplicaLagBytes", "ClusterName" })
            Assert.Contains(option, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failover_probe_interval_longer_than_probe_interval_is_refused()
    {
        var builder = new PgHaDataSourceBuilder("Host=h1");
        builder.Options.FailoverProbeInterval = TimeSpan.FromSeconds(5);
        Assert.Contains("FailoverProbeInterval", Assert.Throws<ArgumentException>(builder.Build).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Empty_connection_string_is_refused(string connectionString)
        => Assert.ThrowsAny<ArgumentException>(() => new PgHaDataSourceBuilder(connectionString));

    [Fact]
    public void Malformed_connection_string_is_refused()
        => Assert.ThrowsAny<ArgumentException>(() => new PgHaDataSourceBuilder("Host=h1;NoSuchKeyword=1"));

    [Fact]
    public void Connection_string_without_host_is_refused()
        => Assert.Contains("no Host", Assert.Throws<ArgumentException>(new PgHaDataSourceBuilder("Username=app").Build).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData(null, TargetRole.Primary)]
    [InlineData("primary", TargetRole.Primary)]
    [InlineData("read-write", TargetRole.Primary)]
    [InlineData("prefer-primary", TargetRole.Primary)]
    [InlineData("standby", TargetRole.Replica)]
    [InlineData("read-only", TargetRole.Replica)]
    [InlineData("prefer-standby", TargetRole.PreferReplica)]
    [InlineData("any", TargetRole.Any)]
    public void Target_session_attributes_set_the_default_role(string? attributes, TargetRole expected)
        => Assert.Equal(expected, PgHaDataSourceBuilder.DefaultRoleOf(attributes));

    [Fact]
    public async Task Data_source_keeps_the_connection_string_without_its_password()
    {
        await using var ds = new PgHaDataSourceBuilder("Host=127.0.0.1:1;Username=app;Password=secret;Target Session Attributes=prefer-standby").Build();
        Assert.DoesNotContain("secret", ds.ConnectionString, StringComparison.Ordinal);
        Assert.Equal(TargetRole.PreferReplica, ds.DefaultRole);
    }

    [Fact]
    public async Task Load_balance_hosts_false_turns_balancing_off()
    {
        var builder = new PgHaDataSourceBuilder("Host=127.0.0.1:1,127.0.0.1:2;Load Balance Hosts=false");
        await using var ds = builder.Build();
        Assert.Equal(LoadBalancing.None, ds.Options.LoadBalancing);
        Assert.Equal(LoadBalancing.RoundRobin, builder.Options.LoadBalancing);
    }
}
