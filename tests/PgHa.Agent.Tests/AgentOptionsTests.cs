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

    [Theory]
    [InlineData("127.0.0.1;touch /tmp/x:5432")]
    [InlineData("db 1:5432")]
    [InlineData("'db1':5432")]
    [InlineData("$(id):5432")]
    [InlineData("db1.example -c:5432")]
    public void A_listen_host_must_be_an_ip_address_or_a_host_name(string listen)
    {
        var options = Valid();
        options.Listen = listen;
        options.ConnectAddress = listen;

        var errors = AgentOptionsValidator.Validate(options);

        Assert.Contains(errors, e => e.StartsWith("Listen must name an IP address or a DNS host name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ConnectAddress must name an IP address or a DNS host name", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1:5432")]
    [InlineData("[::1]:5432")]
    [InlineData("db-1.example.com:5432")]
    [InlineData("localhost:5432")]
    public void Ip_addresses_and_host_names_are_valid_listen_hosts(string listen)
    {
        var options = Valid();
        options.Listen = listen;

        Assert.Empty(AgentOptionsValidator.Validate(options));
    }

    [Theory]
    [InlineData("relative/data")]
    [InlineData("/var/lib/pg'data")]
    [InlineData("/var/lib/pg\"data")]
    [InlineData("/var/lib/pg\ndata")]
    public void Directories_must_be_absolute_without_quotes_or_control_characters(string path)
    {
        var options = Valid();
        options.DataDirectory = path;
        options.BinDirectory = path;

        var errors = AgentOptionsValidator.Validate(options);

        Assert.Contains(errors, e => e.StartsWith("DataDirectory must be an absolute path", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("BinDirectory must be an absolute path", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("repl user")]
    [InlineData("repl\"; DROP ROLE x; --")]
    [InlineData("1repl")]
    public void Role_names_must_be_plain_identifiers(string name)
    {
        var options = Valid();
        options.ReplicationUser = name;
        options.RewindUser = name;
        options.Superuser = name;

        var errors = AgentOptionsValidator.Validate(options);

        foreach (var setting in new[] { "Superuser", "ReplicationUser", "RewindUser" })
            Assert.Contains(errors, e => e.StartsWith($"{setting} must be a role name", StringComparison.Ordinal));
    }

    [Fact]
    public void Passwords_go_together_with_their_users()
    {
        var options = Valid();
        options.SuperuserPassword = "secret";
        options.ReplicationPassword = "a";
        options.RewindUser = "rewinder";

        var errors = AgentOptionsValidator.Validate(options);

        Assert.Contains("ReplicationPassword needs ReplicationUser.", errors);
        Assert.Contains(errors, e => e.StartsWith("RewindUser rewinder needs RewindPassword", StringComparison.Ordinal));
    }

    [Fact]
    public void Separate_replication_and_rewind_users_with_passwords_are_valid()
    {
        var options = Valid();
        options.SuperuserPassword = "s p'a\"c\\e";
        options.ReplicationUser = "replicator";
        options.ReplicationPassword = "r:e\\p l'";
        options.RewindUser = "rewinder";
        options.RewindPassword = "w\"i n'd";

        Assert.Empty(AgentOptionsValidator.Validate(options));
        Assert.Equal(("replicator", "r:e\\p l'"), (options.EffectiveReplicationUser, options.EffectiveReplicationPassword));
    }

    [Fact]
    public void Without_separate_users_replication_and_rewind_use_the_superuser()
    {
        var options = Valid();
        options.SuperuserPassword = "secret";

        Assert.Equal(("postgres", "secret"), (options.EffectiveReplicationUser, options.EffectiveReplicationPassword));
        Assert.Equal(("postgres", "secret"), (options.EffectiveRewindUser, options.EffectiveRewindPassword));
    }

    [Fact]
    public void A_password_may_not_hold_a_line_break()
    {
        var options = Valid();
        options.SuperuserPassword = "line\nbreak";

        Assert.Contains("SuperuserPassword must not contain a line break or a NUL character.", AgentOptionsValidator.Validate(options));
    }

    [Theory]
    [InlineData("peer", true)]
    [InlineData("trust", true)]
    [InlineData("ident", false)]
    [InlineData("md5 \nlocal all all trust", false)]
    public void Local_authentication_is_one_of_the_known_methods(string method, bool valid)
    {
        var options = Valid();
        options.LocalAuthentication = method;

        Assert.Equal(valid, !AgentOptionsValidator.Validate(options).Any(e => e.StartsWith("LocalAuthentication", StringComparison.Ordinal)));
    }

    [Fact]
    public void Local_authentication_is_peer_by_default_and_a_password_method_needs_the_superuser_password()
    {
        var options = Valid();
        Assert.Equal("peer", options.LocalAuthentication);

        options.LocalAuthentication = "scram-sha-256";

        Assert.Contains(AgentOptionsValidator.Validate(options), e => e.StartsWith("LocalAuthentication scram-sha-256 needs SuperuserPassword", StringComparison.Ordinal));
    }

    private static AgentOptions Valid() => new()
    {
        Name = "node1",
        Scope = "demo",
        DataDirectory = "/var/lib/postgresql/15/demo",
        EtcdEndpoints = ["http://127.0.0.1:2379"],
    };
}
