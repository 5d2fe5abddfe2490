using Npgsql;
using PgHa.Client.Internal;
using Xunit;

namespace PgHa.Client.Tests;

/// <summary>PgHa reaches a connection's socket through Npgsql internals; an Npgsql upgrade that moved them fails here first.</summary>
public sealed class NpgsqlSocketsTests
{
    [Fact]
    public void This_Npgsql_has_the_internals_PgHa_reaches_for()
        => NpgsqlSockets.EnsureSupported();

    [Fact]
    public void A_connection_that_is_not_open_has_no_socket_to_release()
    {
        using var connection = new NpgsqlConnection("Host=127.0.0.1");
        Assert.Null(NpgsqlSockets.Of(connection));
        Assert.False(NpgsqlSockets.Shutdown(connection));
        Assert.False(NpgsqlSockets.HasInput(connection));
    }
}
