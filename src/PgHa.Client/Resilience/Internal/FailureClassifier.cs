using System.Net.Sockets;
using Npgsql;

namespace PgHa.Client.Resilience.Internal;

/// <summary>The one table of PostgreSQL error codes and .NET exception types that says what an error means for a node.</summary>
internal static class FailureClassifier
{
    private static readonly Dictionary<string, NodeFailureKind> BySqlState = new(StringComparer.Ordinal)
    {
        ["57P01"] = NodeFailureKind.Unreachable, // admin_shutdown: fast shutdown, or our backend was terminated
        ["57P02"] = NodeFailureKind.Unreachable, // crash_shutdown: another backend crashed, the postmaster is resetting
        ["57P03"] = NodeFailureKind.Unreachable, // cannot_connect_now: starting up or shutting down
        ["57P05"] = NodeFailureKind.Unreachable, // idle_session_timeout
        ["53300"] = NodeFailureKind.Busy,        // too_many_connections: alive, just full
        ["53400"] = NodeFailureKind.Busy,        // configuration_limit_exceeded
        ["3D000"] = NodeFailureKind.Configuration, // invalid_catalog_name: the database does not exist
        ["25006"] = NodeFailureKind.RoleChanged, // read_only_sql_transaction: a write reached a replica
    };

    public static NodeFailureKind Classify(Exception exception) => exception switch
    {
        PostgresException pg => ClassifySqlState(pg.SqlState),
        NpgsqlException { InnerException: TimeoutException } => NodeFailureKind.Timeout,
        NpgsqlException { InnerException: SocketException } => NodeFailureKind.Unreachable,
        NpgsqlException { InnerException: IOException } => NodeFailureKind.Unreachable, // includes EndOfStreamException
        NpgsqlException { IsTransient: true } => NodeFailureKind.Unreachable,
        TimeoutException => NodeFailureKind.Timeout,
        SocketException or IOException => NodeFailureKind.Unreachable,
        _ => NodeFailureKind.None,
    };

    public static NodeFailureKind ClassifySqlState(string sqlState)
    {
        if (BySqlState.TryGetValue(sqlState, out var kind))
            return kind;
        return sqlState switch
        {
            ['0', '8', ..] => NodeFailureKind.Unreachable,   // connection_exception class
            ['2', '8', ..] => NodeFailureKind.Configuration, // invalid_authorization_specification class
            _ => NodeFailureKind.None,
        };
    }
}
