using System.Net.Sockets;
using Npgsql;
using PgHa.Client.Resilience.Internal;
using Xunit;

namespace PgHa.Client.Tests;

public sealed class FailureClassifierTests
{
    [Theory]
    [InlineData("57P01", "Unreachable", "AfterFailover")] // fast shutdown
    [InlineData("57P02", "Unreachable", "AfterFailover")] // crash restart
    [InlineData("57P03", "Unreachable", "AfterFailover")] // starting up / shutting down
    [InlineData("08006", "Unreachable", "AfterFailover")] // connection_failure
    [InlineData("08001", "Unreachable", "AfterFailover")] // unable to connect
    [InlineData("25006", "RoleChanged", "AfterFailover")] // write on a demoted node
    [InlineData("40001", "None", "Transient")]             // serialization failure
    [InlineData("40P01", "None", "Transient")]             // deadlock
    [InlineData("28P01", "Configuration", "Never")]        // wrong password
    [InlineData("28000", "Configuration", "Never")]
    [InlineData("3D000", "Configuration", "Never")]        // no such database
    [InlineData("53300", "Busy", "Never")]                 // too many connections: not a node failure
    [InlineData("23505", "None", "Never")]                 // unique violation
    [InlineData("42601", "None", "Never")]                 // syntax error
    [InlineData("57014", "None", "Never")]                 // query cancelled (statement_timeout)
    public void Sql_states_map_to_what_they_say_about_the_node_and_the_work(string sqlState, string node, string retry)
    {
        var found = FailureClassifier.ClassifySqlState(sqlState);
        Assert.Equal((node, retry), (found.Node.ToString(), found.Retry.ToString()));
    }

    [Fact]
    public void Refused_connection_is_a_node_failure_worth_a_retry_after_failover()
        => Assert.Equal(new FailureClass(NodeFailureKind.Unreachable, RetryKind.AfterFailover),
            FailureClassifier.Classify(new NpgsqlException("x", new SocketException((int)SocketError.ConnectionRefused))));

    [Fact]
    public void Closed_stream_is_unreachable()
        => Assert.Equal(NodeFailureKind.Unreachable, FailureClassifier.Classify(new NpgsqlException("x", new EndOfStreamException())).Node);

    [Fact]
    public void Driver_timeout_is_a_timeout()
        => Assert.Equal(NodeFailureKind.Timeout, FailureClassifier.Classify(new NpgsqlException("x", new TimeoutException())).Node);

    [Fact]
    public void Application_errors_say_nothing_about_the_node_and_are_never_retried()
        => Assert.Equal(FailureClass.Unrelated, FailureClassifier.Classify(new InvalidOperationException()));
}
