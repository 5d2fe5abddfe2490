using PgHa.Agent.Postgres;
using Xunit;

namespace PgHa.Agent.Tests;

public sealed class ConnInfoTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("with space")]
    [InlineData("it's")]
    [InlineData("back\\slash")]
    [InlineData("quote\"double")]
    [InlineData("x' password='injected")]
    [InlineData("trailing\\")]
    [InlineData("")]
    public void A_value_survives_the_round_trip_and_adds_no_keyword(string value)
    {
        var conninfo = ConnInfo.Build(("host", "10.0.0.1"), ("password", value), ("application_name", "n1"));

        var pairs = ConnInfo.Parse(conninfo);

        Assert.NotNull(pairs);
        Assert.Equal(["application_name", "host", "password"], pairs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(value, pairs["password"]);
    }

    [Fact]
    public void Values_are_single_quoted_with_quotes_and_backslashes_escaped_as_libpq_reads_them()
    {
        Assert.Equal(@"host='h' password='a b\'c\\d' port='5432'", ConnInfo.Build(("host", "h"), ("password", @"a b'c\d"), ("user", null), ("port", "5432")));
    }

    [Theory]
    [InlineData("host=10.0.0.1 port=5433 user=postgres", "10.0.0.1:5433")]
    [InlineData("host='10.0.0.1' port='5433' passfile='/var/lib/pg data.pgpass'", "10.0.0.1:5433")]
    [InlineData("user='a b' host = db1 application_name='x y'", "db1:5432")]
    [InlineData("password='p host=evil port=1' host=db1 port=6432", "db1:6432")]
    [InlineData("port=5433", null)]
    [InlineData("host='unterminated", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Host_and_port_read_quoted_and_unquoted_values(string? conninfo, string? expected)
        => Assert.Equal(expected, ConnInfo.HostAndPort(conninfo));

    [Fact]
    public void A_passfile_escapes_colons_and_backslashes_and_lists_each_role_once()
    {
        var text = Passfile.Format([("replicator", @"a:b\c d'e"), ("rewinder", null), ("replicator", "other"), ("postgres", "s")]);

        Assert.Equal("*:*:*:replicator:a\\:b\\\\c d'e\n*:*:*:postgres:s\n", text);
    }

    [Fact]
    public void A_scram_verifier_has_postgres_shape_and_a_fresh_salt_each_time()
    {
        var first = ScramVerifier.Create("s p'a\"c\\e");
        var second = ScramVerifier.Create("s p'a\"c\\e");

        Assert.Matches(@"^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$", first);
        Assert.NotEqual(first, second);
        Assert.DoesNotContain("s p'a", first, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scram_verifier_matches_rfc_7677s_test_vector()
    {
        // RFC 7677 section 3: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations. These StoredKey and
        // ServerKey reproduce the RFC's ClientProof (dHzbZapW...) and ServerSignature (6rriTRBi...) for its exchange.
        var verifier = ScramVerifier.Create("pencil", Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);

        Assert.Equal("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=", verifier);
    }

    [Fact]
    public void A_childs_environment_loses_passwords_and_the_agents_settings()
    {
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = "/usr/bin",
            ["PGPASSWORD"] = "secret",
            ["PgHa__Agent__SuperuserPassword"] = "secret",
            ["PGHA__AGENT__RESTTOKEN"] = "token",
            ["LANG"] = "C.UTF-8",
        };

        Postgres.CommandRunner.Scrub(environment);

        Assert.Equal(["LANG", "PATH"], environment.Keys.Order(StringComparer.Ordinal));
    }
}
