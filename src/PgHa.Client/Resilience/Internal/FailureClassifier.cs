using System.Net.Sockets;
using Npgsql;

namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// The one table of PostgreSQL error codes and .NET exception types: what an error means for the node it came from
/// (down? demoted? just busy?) and for the unit of work that hit it (retry after failover, retry at once, never).
/// </summary>
internal static class FailureClassifier
{
    private static readonly FailureClass NodeGone = new(NodeFailureKind.Unreachable, RetryKind.AfterFailover);

    private static readonly Dictionary<string, FailureClass> BySqlState = new(StringComparer.Ordinal)
    {
        ["57P01"] = NodeGone, // admin_shutdown: fast shutdown, or our backend was terminated
        ["57P02"] = NodeGone, // crash_shutdown: another backend crashed, the postmaster is resetting
        ["57P03"] = NodeGone, // cannot_connect_now: starting up or shutting down
        ["57P05"] = NodeGone, // idle_session_timeout
        ["25006"] = new(NodeFailureKind.RoleChanged, RetryKind.AfterFailover), // read_only_sql_transaction: a write reached a demoted node
        ["40001"] = new(NodeFailureKind.None, RetryKind.Transient), // serialization_failure
        ["40P01"] = new(NodeFailureKind.None, RetryKind.Transient), // deadlock_detected
        ["53300"] = new(NodeFailureKind.Busy, RetryKind.Never), // too_many_connections: alive, just full; not a node failure
        ["53400"] = new(NodeFailureKind.Busy, RetryKind.Never), // configuration_limit_exceeded
        ["3D000"] = new(NodeFailureKind.Configuration, RetryKind.Never), // invalid_catalog_name: the database does not exist
    };

    public static FailureClass Classify(Exception exception) => exception switch
    {
        PostgresException pg => ClassifySqlState(pg.SqlState),
        NpgsqlException { InnerException: TimeoutException } => new(NodeFailureKind.Timeout, RetryKind.AfterFailover),
        NpgsqlException { InnerException: SocketException } => NodeGone,
        NpgsqlException { InnerException: IOException } => NodeGone, // includes EndOfStreamException
        NpgsqlException { IsTransient: true } => NodeGone,
        TimeoutException => new(NodeFailureKind.Timeout, RetryKind.AfterFailover),
        SocketException or IOException => NodeGone,
        _ => FailureClass.Unrelated,
    };

    public static FailureClass ClassifySqlState(string sqlState)
    {
        if (BySqlState.TryGetValue(sqlState, out var known))
            return known;
        return sqlState switch
        {
            ['0', '8', ..] => NodeGone,                                             // connection_exception class
            ['2', '8', ..] => new(NodeFailureKind.Configuration, RetryKind.Never), // invalid_authorization_specification class
            _ => FailureClass.Unrelated,
        };
    }
}
