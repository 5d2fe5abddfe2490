using System.Net.Sockets;
using Npgsql;
using PgHa.Client.Resilience.Internal;
using Xunit;

namespace PgHa.Client.Tests;

public sealed class FailureClassifierTests
{
    [Theory]
    [InlineData("57P01", nameof(NodeFailureKind.Unreachable))]
    [InlineData("57P02", nameof(NodeFailureKind.Unreachable))]
    [InlineData("57P03", nameof(NodeFailureKind.Unreachable))]
    [InlineData("08006", nameof(NodeFailureKind.Unreachable))]
    [InlineData("08001", nameof(NodeFailureKind.Unreachable))]
    [InlineData("28P01", nameof(NodeFailureKind.Configuration))]
    [InlineData("28000", nameof(NodeFailureKind.Configuration))]
    [InlineData("3D000", nameof(NodeFailureKind.Configuration))]
    [InlineData("53300", nameof(NodeFailureKind.Busy))]
    [InlineData("25006", nameof(NodeFailureKind.RoleChanged))]
    [InlineData("23505", nameof(NodeFailureKind.None))]
    [InlineData("42601", nameof(NodeFailureKind.None))]
    [InlineData("40001", nameof(NodeFailureKind.None))]
    public void Sql_states_map_to_what_they_say_about_the_node(string sqlState, string expected)
        => Assert.Equal(expected, FailureClassifier.ClassifySqlState(sqlState).ToString());

    [Fact]
    public void Refused_connection_is_unreachable()
        => Assert.Equal(NodeFailureKind.Unreachable, FailureClassifier.Classify(new NpgsqlException("x", new SocketException((int)SocketError.ConnectionRefused))));

    [Fact]
    public void Closed_stream_is_unreachable()
        => Assert.Equal(NodeFailureKind.Unreachable, FailureClassifier.Classify(new NpgsqlException("x", new EndOfStreamException())));

    [Fact]
    public void Driver_timeout_is_a_timeout()
        => Assert.Equal(NodeFailureKind.Timeout, FailureClassifier.Classify(new NpgsqlException("x", new TimeoutException())));

    [Fact]
    public void Application_errors_say_nothing_about_the_node()
        => Assert.Equal(NodeFailureKind.None, FailureClassifier.Classify(new InvalidOperationException()));
}
